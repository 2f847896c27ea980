/** The platform's version, reported by /health and the OpenAPI document. */
export const PLATFORM_VERSION = '0.1.0';
