/**
 * When to try a request again: 429 after Retry-After (always safe: Microsoft refused it), 5xx,
 * resets and malformed bodies with exponential backoff and jitter, but only for idempotent
 * requests, which may be replayed after they reached the server.
 */
import type { IDataObject } from 'n8n-workflow';

import { transportTuning } from './tuning';
import { header } from './types';

export const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

/** Retry-After in ms (seconds, fractional seconds or an HTTP date; `x-ms-retry-after-ms` wins). */
export function retryAfterMs(headers: IDataObject | undefined, now = Date.now()): number | undefined {
	const ms = header(headers, 'x-ms-retry-after-ms');
	if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
	const ra = header(headers, 'retry-after');
	if (ra === undefined) return undefined;
	if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.max(0, Number(ra) * 1000);
	const date = Date.parse(ra);
	return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

export function backoffMs(retry: number, cap: number, base = transportTuning.baseBackoffMs): number {
	const exp = Math.min(cap, base * 2 ** Math.max(0, retry - 1));
	return exp * (0.5 + Math.random() / 2);
}

/** The retry budget of one request. */
export interface RetryBudget {
	maxRetries: number;
	maxRetryWaitMs: number;
}

/** The retry state of one request: counts retries and says how long to wait before the next. */
export class Retries {
	count = 0;

	constructor(private readonly budget: RetryBudget) {}

	get left(): boolean {
		return this.count < this.budget.maxRetries;
	}

	/** Backoff before the next attempt after a 5xx, a reset or a malformed body; undefined: give up. */
	nextBackoff(idempotent: boolean): number | undefined {
		if (!idempotent || !this.left) return undefined;
		this.count++;
		return backoffMs(this.count, this.budget.maxRetryWaitMs);
	}

	/** Wait before the next attempt after a 429 (Retry-After, else backoff); undefined: give up. */
	nextThrottleWait(headers: IDataObject): number | undefined {
		if (!this.left) return undefined;
		const wait = retryAfterMs(headers) ?? backoffMs(this.count + 1, this.budget.maxRetryWaitMs, transportTuning.throttleBackoffMs);
		if (wait > this.budget.maxRetryWaitMs) return undefined;
		this.count++;
		return wait;
	}
}
