import type { ApiDependencies } from '../../env.ts';
import type { MultipartLimits } from '../../multipart/read-multipart-form.ts';

/** A file part is bounded by the image size limit; a text part (which may be base64) by the body limit. */
export function multipartLimitsOf(deps: ApiDependencies): MultipartLimits {
  return { maxFileBytes: deps.ctx.settings.maxInputImageBytes, maxTextBytes: deps.maxBodyBytes };
}
