/**
 * The one access-token cache (app-only and delegated tokens alike), keyed by the target's cache
 * key (authority, tenant, client, credential or refresh-token fingerprint, scope). It spans items
 * and executions; parallel first requests share one in-flight request; a token is renewed shortly
 * before it expires, and a failed early renewal keeps the still-valid token for a while instead
 * of asking the login endpoint again at once.
 */
export interface FreshToken {
	token: string;
	expiresAt: number;
	renewAt: number;
}

interface Entry extends FreshToken {
	/** After a failed early renewal: no new attempt before this time. */
	retryRenewalAt?: number;
}

const cache = new Map<string, Entry>();
const inflight = new Map<string, Promise<Entry>>();

/** Drops every cached token (tests; credential changes are picked up by the fingerprint anyway). */
export function clearTokenCache(): void {
	cache.clear();
	inflight.clear();
}

function stillValid(e: Entry | undefined): e is Entry {
	return e !== undefined && Date.now() < e.expiresAt - 1000;
}

function store(key: string, fresh: FreshToken): Entry {
	const now = Date.now();
	// Expired entries of other tenants or edited credentials are of no use: drop them.
	for (const [k, v] of cache) if (v.expiresAt < now) cache.delete(k);
	const entry: Entry = { token: fresh.token, expiresAt: fresh.expiresAt, renewAt: fresh.renewAt };
	cache.set(key, entry);
	return entry;
}

/**
 * The cached token under `key`, or a fresh one from `fetch` (`early`: a still-valid token is
 * being renewed, so one attempt is enough).
 */
export async function cachedToken(key: string, fetch: (early: boolean) => Promise<FreshToken>): Promise<string> {
	const entry = cache.get(key);
	const now = Date.now();
	if (entry && now < entry.renewAt) return entry.token;
	// A renewal failed a moment ago: keep the valid token instead of hammering the login endpoint.
	if (stillValid(entry) && entry.retryRenewalAt !== undefined && now < entry.retryRenewalAt) return entry.token;
	let pending = inflight.get(key);
	if (!pending) {
		pending = fetch(stillValid(entry))
			.then((fresh) => store(key, fresh))
			.finally(() => inflight.delete(key));
		inflight.set(key, pending);
	}
	let failure: unknown;
	try {
		return (await pending).token;
	} catch (error) {
		failure = error;
	}
	const current = cache.get(key);
	// A TokenError (explained, no secret in it) from the fetch: the callers turn it into a node error.
	if (!stillValid(current)) throw failure;
	current.retryRenewalAt = Date.now() + Math.min(10000, (current.expiresAt - current.renewAt) / 4);
	return current.token;
}

/** Forgets the token under `key`; with `token`, only if no newer one replaced it (after a 401). */
export function forgetToken(key: string, token?: string): void {
	const entry = cache.get(key);
	if (entry && (token === undefined || entry.token === token)) cache.delete(key);
}
