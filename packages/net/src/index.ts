export { isPublicAddress } from './address-policy.ts';
export {
  guardedFetch,
  GuardedFetchError,
  type GuardedFetchFailure,
  type GuardedFetchOptions,
  type GuardedResponse,
  type ResolvedAddress,
  type Resolver,
} from './guarded-fetch.ts';
