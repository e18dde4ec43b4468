/**
 * Users service: domains and users, passwords turned into digest HA1s and a
 * scrypt hash. Handles: CLI `parley domain|user …`, admin REST. Needs: the store.
 */
export { UserService, parseAddress, type NewUserInput } from './user-service.js';
export { UserError, USER_ERROR_STATUS, type UserErrorCode } from './errors.js';
export { checkPasswordStrength, generatePassword, hashPassword, verifyPassword, credentialsFor } from './passwords.js';
export { UserDirectory } from './user-directory.js';
