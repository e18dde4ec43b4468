/**
 * Imported first by this folder's tests, before anything loads the users
 * service: cheap scrypt (N = 2^10) for the hashes the tests make. Leaves a
 * value set from outside alone.
 */
process.env.PARLEY_SCRYPT_LOG2N ??= '10';
export {};
