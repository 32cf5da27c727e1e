/**
 * Deterministic fault injection: a FIFO of "the next N matching requests get this fault",
 * plus a fixed added latency.
 */
export type FaultKind = 429 | 500 | 502 | 503 | 504 | 'reset' | 'malformed' | 'tokenDown' | 'redirect' | 'echo' | 'slow';

export const FAULT_KINDS: FaultKind[] = [
	429,
	500,
	502,
	503,
	504,
	'reset',
	'malformed',
	'tokenDown',
	'redirect',
	'echo',
	// The request is carried out, then the answer is held back for `holdMs` (past a client's
	// timeout): "the POST timed out but the action was created".
	'slow',
];

export interface FaultOptions {
	/** Only requests whose path contains this substring (case-insensitive). */
	path?: string;
	/** For 429: the Retry-After to send, in seconds (default 1). */
	retryAfterSec?: number;
	/** For 'redirect': 301, 302 (default), 303, 307 or 308. For 'echo': the error status (default 400). */
	status?: number;
	/**
	 * For 'redirect': where to (absolute URL). Default: the same path and query on the trap, a
	 * server on another port of 127.0.0.1 (`emu.trap`) that records what reaches it.
	 */
	location?: string;
	/** For 'slow': how long the answer is held back (default 30 s). */
	holdMs?: number;
	/**
	 * For 'slow': 'after' (default) carries the request out at once and holds the answer back;
	 * 'before' holds the request back, then carries it out (the change appears late, e.g. after
	 * the client gave up and started looking for it).
	 */
	phase?: 'before' | 'after';
}

interface PendingFault extends FaultOptions {
	kind: FaultKind;
	remaining: number;
}

export class Faults {
	private queue: PendingFault[] = [];
	private latencyMs = 0;

	/**
	 * The next `n` matching answers get `kind`. Without a `path` filter a fault applies to API
	 * requests only (not to the token endpoint), except `tokenDown` which applies to the token
	 * endpoint only. With a `path` filter it applies to any path containing it.
	 */
	next(n: number, kind: FaultKind, opts?: string | FaultOptions): void {
		if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind ${String(kind)}`);
		const o = typeof opts === 'string' ? { path: opts } : (opts ?? {});
		if (n > 0) this.queue.push({ kind, remaining: n, ...o });
	}

	latency(ms: number): void {
		this.latencyMs = Math.max(0, ms);
	}

	get addedLatencyMs(): number {
		return this.latencyMs;
	}

	clear(): void {
		this.queue = [];
		this.latencyMs = 0;
	}

	pending(): Array<{ kind: FaultKind; remaining: number; path?: string }> {
		return this.queue.map((f) => ({ kind: f.kind, remaining: f.remaining, path: f.path }));
	}

	/** Consumes and returns the fault for this request, if any. */
	take(path: string, isTokenEndpoint: boolean): PendingFault | undefined {
		const lower = path.toLowerCase();
		const i = this.queue.findIndex((f) => {
			if (f.path !== undefined) return lower.includes(f.path.toLowerCase());
			return f.kind === 'tokenDown' ? isTokenEndpoint : !isTokenEndpoint;
		});
		if (i < 0) return undefined;
		const f = this.queue[i];
		f.remaining--;
		if (f.remaining <= 0) this.queue.splice(i, 1);
		return { ...f };
	}
}
