/**
 * Where a request goes: the API's base URL plus a path that no value can change, absolute links
 * only on the API's own host, and redirects judged (never followed to another host with the token).
 */
import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { apiDisplayName } from '../helpers/errors';
import type { DefenderRequest } from './types';

export function resolveUrl(node: INode, req: DefenderRequest, base: string): string {
	if (!req.url) {
		const joined = `${base}${req.path.startsWith('/') ? '' : '/'}${req.path}`;
		// A value put into the path must never change it: no '.'/'..' segments (also as %2e), and
		// no '?', '#' or backslash (URL parsers read a backslash as '/').
		if (/[?#\\]/.test(req.path) || req.path.split('/').some((seg) => /^(?:\.|%2e){1,2}$/i.test(seg))) {
			throw new NodeOperationError(node, 'A value in this item would change the API path', {
				itemIndex: req.itemIndex,
				description: 'IDs and names must not be "." or ".." or contain "/", "?" or "#". Check the ID or name parameter of this item.',
			});
		}
		return joined;
	}
	let parsed: URL | undefined;
	try {
		parsed = new URL(req.url);
	} catch {
		parsed = undefined;
	}
	if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
		throw new NodeOperationError(node, 'The API returned a link that is not an http(s) URL', {
			itemIndex: req.itemIndex,
		});
	}
	if (!req.noAuth) {
		const b = new URL(base);
		if (parsed.origin !== b.origin || !parsed.pathname.startsWith(b.pathname.replace(/\/$/, ''))) {
			throw new NodeOperationError(node, `Refusing to send the access token to ${parsed.origin}`, {
				itemIndex: req.itemIndex,
				description: `Links followed with the token must be on the ${apiDisplayName(req.api)} host (${b.origin}).`,
			});
		}
	}
	return parsed.toString();
}

export const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
export const MAX_REDIRECTS = 3;

/** Where a redirect points, and whether that is still the API's host and base path. */
export function redirectTarget(current: string, location: string | undefined, base: string): { url?: string; origin: string; sameApi: boolean } {
	let target: URL | undefined;
	try {
		target = location ? new URL(location, current) : undefined;
	} catch {
		target = undefined;
	}
	if (!target || (target.protocol !== 'https:' && target.protocol !== 'http:')) {
		return { origin: 'an unreadable location', sameApi: false };
	}
	const b = new URL(base);
	const sameApi = target.origin === b.origin && target.pathname.startsWith(b.pathname.replace(/\/$/, ''));
	return { url: target.toString(), origin: target.origin, sameApi };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Which part of the request holds text that cannot be URL-encoded (an unpaired surrogate). Such
 * a request fails before it is sent ("URI malformed"); it must not be retried as a network error.
 */
export function illFormedPart(req: DefenderRequest): string | undefined {
	if (LONE_SURROGATE.test(req.path ?? '') || LONE_SURROGATE.test(req.url ?? '')) return 'path';
	for (const [key, value] of Object.entries(req.qs ?? {})) {
		if (typeof value === 'string' && LONE_SURROGATE.test(value)) return `query parameter ${key}`;
	}
	for (const [key, value] of Object.entries(req.headers ?? {})) {
		if (typeof value === 'string' && LONE_SURROGATE.test(value)) return `header ${key}`;
	}
	return undefined;
}
