/**
 * Dialogs (RFC 3261 §12; RFC 6665 §4.1.2.4 for subscriptions): state, ids,
 * route sets with loose and strict routing, in-dialog request building and
 * checking, forked early dialogs, and a bounded table.
 */
export { DialogState } from './dialog-state.js';
export { type DialogId, dialogIdOfIncomingRequest, dialogIdOfResponse, dialogKey } from './dialog-id.js';
export { type RoutedTarget, isLooseRoute, routeRequest, uacRouteSet, uasRouteSet } from './route-set.js';
export { Dialog, type DialogInit, type RequestOptions, TARGET_REFRESH_METHODS } from './dialog.js';
export { type CreateDialogOptions, createDialogFromNotify, createUacDialog, createUasDialog } from './create-dialog.js';
export { DialogSet } from './dialog-set.js';
export { DialogTable } from './dialog-table.js';
