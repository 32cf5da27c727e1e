/**
 * Timestamps for the polling trigger.
 *
 * Graph returns `lastUpdateDateTime` with up to 7 fractional digits (100 ns ticks), more than a
 * JavaScript `Date` holds. Two records a few hundred nanoseconds apart must stay distinct, so the
 * trigger never round-trips timestamps through `Date`: it keeps a canonical string
 * `YYYY-MM-DDTHH:MM:SS.fffffffZ` (always 7 digits, always UTC) that sorts lexicographically in
 * time order.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|z|[+-]\d{2}:?\d{2})?$/;

function pad(n: number, width: number): string {
	return String(n).padStart(width, '0');
}

/** Canonical form from whole seconds since the epoch plus a 7-digit fraction. */
function fromParts(epochSeconds: number, fraction7: string): string {
	const d = new Date(epochSeconds * 1000);
	return (
		`${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
		`T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${fraction7}Z`
	);
}

interface Parts {
	epochSeconds: number;
	fraction7: string;
}

function parse(value: unknown): Parts | undefined {
	if (typeof value !== 'string') return undefined;
	const m = ISO.exec(value.trim());
	if (!m) return undefined;
	const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
	let seconds = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) / 1000;
	if (!Number.isFinite(seconds)) return undefined;
	if (zone !== 'Z' && zone !== 'z') {
		const sign = zone.startsWith('-') ? -1 : 1;
		const digits = zone.slice(1).replace(':', '');
		const offset = (+digits.slice(0, 2) * 60 + +digits.slice(2, 4)) * 60;
		seconds -= sign * offset;
	}
	return { epochSeconds: seconds, fraction7: (frac + '0000000').slice(0, 7) };
}

/** Canonical 7-digit UTC form, or undefined when the value is not an ISO 8601 timestamp. */
export function canonicalTimestamp(value: unknown): string | undefined {
	const p = parse(value);
	return p ? fromParts(p.epochSeconds, p.fraction7) : undefined;
}

/** Canonical timestamp for a millisecond epoch value (the wall clock; only used on activation). */
export function timestampFromMs(ms: number): string {
	const seconds = Math.floor(ms / 1000);
	const millis = ms - seconds * 1000;
	return fromParts(seconds, pad(Math.floor(millis), 3) + '0000');
}

/** `ts` minus a whole number of seconds, keeping the sub-second digits exactly. */
export function subtractSeconds(ts: string, seconds: number): string {
	const p = parse(ts);
	if (!p) throw new RangeError(`Not a timestamp: ${ts}`);
	return fromParts(p.epochSeconds - Math.floor(seconds), p.fraction7);
}

/** Milliseconds since the epoch (loses sub-millisecond digits; for display and arithmetic only). */
export function timestampToMs(ts: string): number {
	const p = parse(ts);
	if (!p) return NaN;
	return p.epochSeconds * 1000 + Math.floor(+p.fraction7 / 10000);
}

export function maxTimestamp(a: string, b: string): string {
	return a >= b ? a : b;
}
