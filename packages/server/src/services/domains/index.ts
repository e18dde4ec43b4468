/** Domains service: which local domain a host belongs to. Needs: the store. */
export { DomainResolver, type DomainMatch } from './domain-resolver.js';
