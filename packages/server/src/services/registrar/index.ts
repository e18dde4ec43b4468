/**
 * Registrar service (RFC 3261 §10, RFC 3327, RFC 5626, RFC 5627). Handles:
 * REGISTER for local domains. Needs: auth, domains, the store. Offers the
 * location service to the proxy.
 */
export { Registrar, type RegistrarOptions, type RegisterResult } from './registrar.js';
export { LocationService, type Binding, type LocationEvents } from './location-service.js';
export { RegistrarError, REGISTRAR_STATUS, type RegistrarErrorCode } from './errors.js';
