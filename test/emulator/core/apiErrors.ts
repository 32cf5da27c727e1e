/** Error bodies per API family (defender-api.md §8.1, §5.4). */
import * as crypto from 'node:crypto';
import type { ApiFamily } from '../types';
import type { ForbiddenMessage } from '../contract';
import type { CoreResponse } from './context';

export function renderApiError(
	family: ApiFamily,
	status: number,
	code: string,
	message: string,
	opts: {
		now: number;
		clientRequestId?: string;
		headers?: Record<string, string>;
		graphInnerCode?: string;
	},
): CoreResponse {
	const requestId = crypto.randomUUID();
	if (family === 'graph') {
		const innerError: Record<string, string> = {
			date: new Date(opts.now).toISOString().replace(/\.\d+Z$/, ''),
			'request-id': requestId,
			'client-request-id': opts.clientRequestId ?? requestId,
		};
		if (opts.graphInnerCode) {
			innerError.code = opts.graphInnerCode;
			innerError.status = String(status);
		}
		return {
			status,
			headers: {
				'request-id': requestId,
				'client-request-id': innerError['client-request-id'],
				...opts.headers,
			},
			body: { error: { code, message, innerError } },
		};
	}
	return {
		status,
		headers: { 'request-id': requestId, ...opts.headers },
		body: { error: { code, message, target: requestId } },
	};
}

export function missingRolesMessage(required: string[], granted: string[], variant: ForbiddenMessage = 'namesRoles'): string {
	if (variant === 'bare') return 'Insufficient privileges to complete the operation.';
	return `Missing application roles. API required roles: ${required.join(',')}, application roles: ${granted.join(',')}.`;
}
