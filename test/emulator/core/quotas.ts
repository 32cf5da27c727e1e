/**
 * Call quotas: fixed windows (a minute and an hour) per (tenant, app, bucket); the hunting
 * buckets are per tenant (shared by every app). Windows run on the emulator clock divided by
 * `timeScale` (60 → a "minute" lasts one second).
 */
import type { QuotaBucket } from '../types';
import { perTenantBuckets, quotaLimitsFromContract } from '../contract';

export interface QuotaLimit {
	perMinute?: number;
	perHour?: number;
}

/** Limits per bucket, read from the contract rows (contract.ts says which are documented). */
export const DEFAULT_QUOTAS: Record<QuotaBucket, QuotaLimit> = quotaLimitsFromContract();

const PER_TENANT = perTenantBuckets();

export interface QuotaDecision {
	ok: boolean;
	/** When refused: ms (emulator-real, i.e. already scaled) until the window that refused resets. */
	retryAfterMs?: number;
	limit?: number;
	window?: 'minute' | 'hour';
}

interface Window {
	start: number;
	count: number;
}

export class Quotas {
	private windows = new Map<string, Window>();
	constructor(
		private limits: Record<QuotaBucket, QuotaLimit> | false,
		private timeScale: number,
	) {}

	get enabled(): boolean {
		return this.limits !== false;
	}

	limitOf(bucket: QuotaBucket): QuotaLimit {
		return this.limits === false ? {} : (this.limits[bucket] ?? {});
	}

	reset(): void {
		this.windows.clear();
	}

	/** Counts one call and says whether it is allowed. Refused calls do not count. */
	take(bucket: QuotaBucket, tenantId: string, appId: string, now: number): QuotaDecision {
		if (this.limits === false) return { ok: true };
		const limit = this.limits[bucket];
		if (!limit) return { ok: true };
		const owner = PER_TENANT.has(bucket) ? tenantId : `${tenantId}|${appId}`;
		const checks: Array<['minute' | 'hour', number | undefined, number]> = [
			['minute', limit.perMinute, 60_000 / this.timeScale],
			['hour', limit.perHour, 3_600_000 / this.timeScale],
		];
		const touched: Window[] = [];
		let refused: QuotaDecision | undefined;
		for (const [name, max, span] of checks) {
			if (!max) continue;
			const key = `${bucket}|${owner}|${name}`;
			let w = this.windows.get(key);
			if (!w || now >= w.start + span) {
				w = { start: now, count: 0 };
				this.windows.set(key, w);
			}
			if (w.count >= max) {
				const retryAfterMs = w.start + span - now;
				if (!refused || retryAfterMs > (refused.retryAfterMs ?? 0)) {
					refused = { ok: false, retryAfterMs, limit: max, window: name };
				}
			}
			touched.push(w);
		}
		if (refused) return refused;
		for (const w of touched) w.count++;
		return { ok: true };
	}
}

/** `00:01:00` / `01:00:00` as in the observed quota messages. */
export function windowLabel(window: 'minute' | 'hour'): string {
	return window === 'minute' ? '00:01:00' : '01:00:00';
}
