/**
 * JSON schemas of every body, query and path of the API, checked by
 * Fastify's Ajv before a handler runs (failures: 400 `invalid-request`), and
 * the TypeScript shapes they admit. Unknown properties are dropped (Fastify's
 * `removeAdditional`). Rules about the data itself — address syntax, password
 * strength, known domains — stay in the users service so that the CLI and
 * the API apply the same ones.
 */
import { USER_ROLES, type UserRole } from '../../store/index.js';

const str = (maxLength: number, minLength = 1) => ({ type: 'string', minLength, maxLength }) as const;
const nullableStr = (maxLength: number) => ({ type: ['string', 'null'], maxLength }) as const;
const role = { type: 'string', enum: [...USER_ROLES] } as const;
const obj = (properties: Record<string, unknown>, required: string[] = [], extra: Record<string, unknown> = {}) =>
  ({ type: 'object', properties, required, additionalProperties: false, ...extra }) as const;

const ADDRESS = str(320);
const PASSWORD = str(1024);

export interface SignInBody {
  address: string;
  password: string;
}
export const signInSchema = { body: obj({ address: ADDRESS, password: PASSWORD }, ['address', 'password']) };

export interface DomainBody {
  name: string;
  isDefault?: boolean;
}
export const addDomainSchema = { body: obj({ name: str(253), isDefault: { type: 'boolean' } }, ['name']) };

export interface DomainParams {
  name: string;
}
export interface ForceQuery {
  force?: boolean;
}
export const removeDomainSchema = {
  params: obj({ name: str(253) }, ['name']),
  querystring: obj({ force: { type: 'boolean', default: false } }),
};

export interface UserListQuery {
  search?: string;
  domain?: string;
  limit: number;
  offset: number;
}
export const listUsersSchema = {
  querystring: obj({
    search: str(256, 0),
    domain: str(253),
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    offset: { type: 'integer', minimum: 0, default: 0 },
  }),
};

export interface NewUserBody {
  address: string;
  displayName?: string | null;
  password?: string;
  generatePassword?: boolean;
  role?: UserRole;
  enabled?: boolean;
  phone?: string | null;
}
export const addUserSchema = {
  body: obj(
    {
      address: ADDRESS,
      displayName: nullableStr(256),
      password: PASSWORD,
      generatePassword: { type: 'boolean' },
      role,
      enabled: { type: 'boolean' },
      phone: nullableStr(33),
    },
    ['address'],
  ),
};

export interface UserParams {
  address: string;
}
const userParams = obj({ address: ADDRESS }, ['address']);
export const userSchema = { params: userParams };

export interface UserPatchBody {
  enabled?: boolean;
  displayName?: string | null;
  role?: UserRole;
  phone?: string | null;
}
export const patchUserSchema = {
  params: userParams,
  body: obj({ enabled: { type: 'boolean' }, displayName: nullableStr(256), role, phone: nullableStr(33) }, [], { minProperties: 1 }),
};

export interface PasswordBody {
  password?: string;
  generatePassword?: boolean;
}
export const setPasswordSchema = {
  params: userParams,
  body: obj({ password: PASSWORD, generatePassword: { type: 'boolean' } }, [], { minProperties: 1 }),
};

export interface RegistrationsQuery {
  address?: string;
  limit: number;
  offset: number;
}
export const registrationsSchema = {
  querystring: obj({
    address: ADDRESS,
    limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
    offset: { type: 'integer', minimum: 0, default: 0 },
  }),
};
