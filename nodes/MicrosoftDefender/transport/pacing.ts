/**
 * Pacing under the documented quotas: sliding per-minute and per-hour windows per (authority,
 * tenant, quota), a process-wide pause after a 429, and a cap on hunting queries running at once.
 */
import { sleep } from 'n8n-workflow';

import { QUOTAS, type Quota, type QuotaKey } from '../helpers/limits';
import { transportTuning } from './tuning';
import type { DefenderRequest } from './types';

interface PacerEntry {
	/** Send time while in flight, completion time once answered (arrival lies in between). */
	t: number;
}

const pacers = new Map<string, PacerEntry[]>();
/**
 * After a 429 every request of this process on that quota waits out the Retry-After, not just the
 * refused one: when several n8n processes (queue-mode workers) share an app's quota, the first
 * refusal tells this process the window is spent, and sending the rest of its burst would only
 * collect more 429s.
 */
const throttledUntil = new Map<string, number>();

/**
 * Hunting queries share a CPU quota per tenant: parallel heavy queries exhaust it and then every
 * query is refused for up to 15 minutes. At most `huntingConcurrency` run at once per tenant.
 */
const huntingSlots = new Map<string, { running: number; waiting: Array<() => void> }>();

export function resetPacing(): void {
	pacers.clear();
	throttledUntil.clear();
	huntingSlots.clear();
}

export function quotaFor(req: Pick<DefenderRequest, 'api' | 'path' | 'url' | 'quota'>): QuotaKey {
	if (req.quota) return req.quota;
	const p = (req.path || req.url || '').toLowerCase();
	if (p.includes('/advancedqueries/run')) return 'mdeHunting';
	if (p.includes('/runhuntingquery')) return 'graphHunting';
	if (p.includes('getpackageuri')) return 'mdePackageUri';
	if (/\/api\/machines\/[^/?]+\/vulnerabilities(\?|$)/.test(p)) return 'mdeMachineVulnerabilities';
	if (p.includes('/runliveresponse')) return 'mdeLiveResponse';
	return req.api === 'graph' ? 'graph' : 'mde';
}

/** How long until one more request fits every window (0: now). */
function waitForWindows(entries: PacerEntry[], quota: Quota, share: number, now: number): number {
	const scale = transportTuning.timeScale > 0 ? transportTuning.timeScale : 1;
	const part = transportTuning.paceSafety * share;
	const windows = [
		{ len: 60000 / scale, limit: Math.max(1, Math.floor(quota.perMinute * part)) },
		{ len: 3600000 / scale, limit: Math.max(1, Math.floor(quota.perHour * part)) },
	];
	const horizon = now - windows[1].len;
	if (entries.length && entries[0].t <= horizon) {
		const kept = entries.filter((e) => e.t > horizon);
		entries.length = 0;
		entries.push(...kept);
	}
	let wait = 0;
	for (const w of windows) {
		if (entries.length < w.limit) continue;
		const times = entries
			.map((e) => e.t)
			.filter((t) => t > now - w.len)
			.sort((a, b) => a - b);
		if (times.length >= w.limit) wait = Math.max(wait, times[times.length - w.limit] + w.len - now);
	}
	return wait;
}

/**
 * Waits until a request may be sent without exceeding the quota: at most `limit` requests in
 * any sliding window (per minute and per hour). Answered requests count at their completion
 * time, which is at or after the moment the server counted them, so latency cannot push two
 * windows' worth of requests into one of the server's windows. Returns a handle for `released`.
 */
async function pace(key: string, quota: Quota, share = 1): Promise<PacerEntry | undefined> {
	if (!transportTuning.pacing) return undefined;
	let entries = pacers.get(key);
	if (!entries) {
		entries = [];
		pacers.set(key, entries);
	}
	for (;;) {
		const now = Date.now();
		const wait = waitForWindows(entries, quota, share, now);
		if (wait <= 0) {
			const entry = { t: now };
			entries.push(entry);
			return entry;
		}
		await sleep(Math.ceil(wait));
	}
}

async function waitOutThrottle(key: string): Promise<void> {
	for (;;) {
		const paused = (throttledUntil.get(key) ?? 0) - Date.now();
		if (paused <= 0) return;
		await sleep(Math.ceil(paused));
	}
}

/** Holds every request of this process on the quota for `waitMs` (see throttledUntil). */
export function pauseQuota(key: string, waitMs: number): void {
	throttledUntil.set(key, Math.max(throttledUntil.get(key) ?? 0, Date.now() + waitMs));
}

async function acquireHuntingSlot(key: string): Promise<() => void> {
	let slot = huntingSlots.get(key);
	if (!slot) {
		slot = { running: 0, waiting: [] };
		huntingSlots.set(key, slot);
	}
	const s = slot;
	if (s.running >= Math.max(1, transportTuning.huntingConcurrency)) {
		await new Promise<void>((resolve) => s.waiting.push(resolve));
	} else {
		s.running++;
	}
	let done = false;
	return () => {
		if (done) return;
		done = true;
		const next = s.waiting.shift();
		if (next) next();
		else s.running--;
	};
}

/**
 * Waits for a turn on the quota `quotaKey` under `paceKey` (a 429 pause, the windows, a hunting
 * slot) and returns the release to call once the request is answered.
 */
export async function takeTurn(paceKey: string, quotaKey: QuotaKey, share: number, paced: boolean): Promise<() => void> {
	await waitOutThrottle(paceKey);
	const entry = paced ? await pace(paceKey, QUOTAS[quotaKey], share) : undefined;
	const releaseHunting = quotaKey.endsWith('Hunting') ? await acquireHuntingSlot(paceKey) : undefined;
	return () => {
		if (entry) entry.t = Date.now();
		releaseHunting?.();
	};
}
