export { isPublicAddress } from './address-policy.ts';
export {
  checkTarget,
  guardedFetch,
  guardedPost,
  type GuardedPostOptions,
  type GuardedPostResponse,
  GuardedFetchError,
  type GuardedFetchFailure,
  type GuardedFetchOptions,
  type GuardedResponse,
  type ResolvedAddress,
  type Resolver,
} from './guarded-fetch.ts';
