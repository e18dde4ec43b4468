/**
 * The error catalogue of the transaction layer. Protocol outcomes (timeouts,
 * transport failures) are reported to the TU through its delegate, never
 * thrown; these errors are for calls the layer cannot honour.
 *
 * - `table-full`: the bounded transaction table is full (overload, §21.5.4).
 * - `closed`: the layer was closed.
 * - `bad-request`: a request the layer cannot send (no RFC 3261 branch,
 *   an ACK given to a client transaction…); a `TypeError` of the caller.
 */
export type TransactionErrorCode = 'table-full' | 'closed';

export const TRANSACTION_ERROR_CODES: readonly TransactionErrorCode[] = ['table-full', 'closed'];

export class TransactionError extends Error {
  override readonly name = 'TransactionError';
  readonly code: TransactionErrorCode;
  constructor(code: TransactionErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
