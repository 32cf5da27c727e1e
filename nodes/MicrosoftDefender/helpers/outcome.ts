import { NETWORK_REASONS, transportErrorOf } from './errors';

/**
 * What a failed write tells about its outcome. Pure functions of the error the transport threw;
 * the response actions, Live Response and MDE alert comments use them to decide between
 * "refused", "may have been carried out" and "send once more".
 */

/** How long a write whose outcome is unknown is looked for (tests shorten the interval). */
export const responseActionTuning = {
	/** Lookups for an action whose POST got no readable answer (timeout, reset, cut or unreadable body). */
	verifyLookups: 4,
	/** Wait before each lookup after the first: Microsoft may list a new action a few seconds late. */
	verifyIntervalMs: 5000,
	/** Allowance for the difference between our clock and Microsoft's when comparing creation times. */
	clockSkewMs: 60000,
};

export function httpStatusOf(error: unknown): number | undefined {
	const code = (error as { httpCode?: unknown } | undefined)?.httpCode;
	const status = typeof code === 'string' ? parseInt(code, 10) : typeof code === 'number' ? code : NaN;
	return Number.isNaN(status) ? undefined : status;
}

/**
 * Whether a failed POST may still have been carried out: a 5xx, a network failure (no HTTP
 * status), or a 2xx whose body could not be read. A 4xx (including an exhausted 429) means
 * Microsoft refused it.
 */
export function isUncertainOutcome(error: unknown): boolean {
	const status = httpStatusOf(error);
	return status === undefined || status >= 500 || (status >= 200 && status < 300);
}

/**
 * Whether nothing can be known about the POST: no answer at all (timeout, reset, answer cut off),
 * an unreadable 2xx, or 504 (a gateway gave up waiting for the service).
 */
export function isUnknownOutcome(error: unknown): boolean {
	const status = httpStatusOf(error);
	return status === undefined || status === 504 || (status >= 200 && status < 300);
}

/**
 * 400 `ActiveRequestAlreadyExists` / "Action is already in progress": the transport classifies
 * Microsoft's answer (kind 'conflict-already-running'); nothing here reads message text.
 */
export function isActionAlreadyPendingError(error: unknown): boolean {
	return transportErrorOf(error)?.kind === 'conflict-already-running';
}

/** What went wrong with the POST, for messages: "the connection was reset", "the answer could not be read". */
export function failureText(error: unknown): string {
	const status = httpStatusOf(error);
	if (status !== undefined && status >= 200 && status < 300) return 'Microsoft accepted the request but its answer could not be read';
	if (status !== undefined) return `Microsoft answered ${status}`;
	const networkCode = transportErrorOf(error)?.networkCode;
	return networkCode ? `the request failed (${NETWORK_REASONS[networkCode] ?? 'network error'})` : 'the request failed without an answer';
}
