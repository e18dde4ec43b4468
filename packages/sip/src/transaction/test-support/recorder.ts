import type { SipResponse } from '../../message/message.js';
import type { ClientTransaction } from '../client-transaction.js';
import type { TransactionState } from '../transaction-state.js';
import type { ClientTransactionUser } from '../transaction-user.js';

/** A client TU that records what its transaction reported. */
export class ClientRecorder implements ClientTransactionUser<ClientTransaction> {
  readonly responses: SipResponse[] = [];
  readonly states: TransactionState[] = [];
  readonly errors: Error[] = [];
  timeouts = 0;

  onResponse(response: SipResponse): void {
    this.responses.push(response);
  }
  onTimeout(): void {
    this.timeouts++;
  }
  onTransportError(error: Error): void {
    this.errors.push(error);
  }
  onStateChange(state: TransactionState): void {
    this.states.push(state);
  }
  get statuses(): number[] {
    return this.responses.map((r) => r.status);
  }
}
