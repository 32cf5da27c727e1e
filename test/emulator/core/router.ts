/** Matches request paths against RouteDef patterns (`:name` params, literals case-insensitive). */
import type { RouteDef } from '../types';

interface Compiled<S> {
	route: RouteDef<S>;
	/** `pattern`: a literal with embedded params, e.g. `GetLiveResponseResultDownloadLink(index=:index)`. */
	segments: Array<{ literal?: string; param?: string; pattern?: { re: RegExp; names: string[] } }>;
	literalCount: number;
}

export interface RouteMatch<S> {
	route: RouteDef<S>;
	params: Record<string, string>;
}

function split(path: string): string[] {
	return path.split('/').filter((s) => s.length > 0);
}

/** `/api/v1.0/alerts` → `/api/alerts` (MDE's optional version segment). */
export function normalizeApiPath(path: string): string {
	return path.replace(/^\/api\/v1\.0(?=\/|$)/i, '/api');
}

export class Router<S> {
	private compiled: Compiled<S>[];
	constructor(routes: RouteDef<S>[]) {
		this.compiled = routes.map((route) => {
			const segments = split(route.path).map((seg) => {
				if (seg.startsWith(':')) return { param: seg.slice(1) };
				if (!seg.includes(':')) return { literal: seg.toLowerCase() };
				const names: string[] = [];
				const source = seg
					.split(/(:[A-Za-z_]\w*)/)
					.map((part) => {
						if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
						names.push(part.slice(1));
						return '\\s*([^/()=,]+?)\\s*';
					})
					.join('');
				return { pattern: { re: new RegExp(`^${source}$`, 'i'), names } };
			});
			return { route, segments, literalCount: segments.filter((s) => s.literal || s.pattern).length };
		});
	}

	/**
	 * Returns the best match for method+path; `pathMatched` tells a 405 from a 404. When several
	 * patterns match, the one with the most literal segments wins (so `/machines/findbytag`
	 * beats `/machines/:id`); ties go to table order.
	 */
	match(
		method: string,
		rawPath: string,
	): { match?: RouteMatch<S>; pathMatched: boolean; family?: RouteDef<S>['api'] } {
		const parts = split(normalizeApiPath(rawPath));
		let best: { c: Compiled<S>; params: Record<string, string> } | undefined;
		let pathMatched = false;
		let family: RouteDef<S>['api'] | undefined;
		for (const c of this.compiled) {
			if (c.segments.length !== parts.length) continue;
			const params: Record<string, string> = {};
			let ok = true;
			for (let i = 0; i < parts.length && ok; i++) {
				const seg = c.segments[i];
				if (seg.pattern) {
					let decoded = parts[i];
					try {
						decoded = decodeURIComponent(parts[i]);
					} catch {
						// keep the raw segment
					}
					const m = seg.pattern.re.exec(decoded);
					ok = !!m;
					if (m) seg.pattern.names.forEach((name, k) => (params[name] = m[k + 1]));
				} else if (seg.literal !== undefined) {
					ok = seg.literal === parts[i].toLowerCase();
				} else {
					try {
						params[seg.param!] = decodeURIComponent(parts[i]);
					} catch {
						params[seg.param!] = parts[i];
					}
				}
			}
			if (!ok) continue;
			pathMatched = true;
			family ??= c.route.api;
			if (c.route.method !== method.toUpperCase()) continue;
			if (!best || c.literalCount > best.c.literalCount) best = { c, params };
		}
		return {
			match: best ? { route: best.c.route, params: best.params } : undefined,
			pathMatched,
			family: best?.c.route.api ?? family,
		};
	}
}
