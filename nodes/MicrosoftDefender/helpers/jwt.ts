/**
 * Minimal JWT helpers (no verification: the node only reads its own tokens' claims to explain
 * permissions; the APIs do the validating).
 */
import type { IDataObject } from 'n8n-workflow';

export function base64UrlEncode(data: Buffer | string): string {
	return Buffer.from(data).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

export function base64UrlDecode(text: string): Buffer {
	const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
	return Buffer.from(b64 + '='.repeat((4 - (b64.length % 4)) % 4), 'base64');
}

function decodePart(token: string, index: 0 | 1): IDataObject | undefined {
	const parts = typeof token === 'string' ? token.split('.') : [];
	if (parts.length < 2) return undefined;
	try {
		const parsed = JSON.parse(base64UrlDecode(parts[index]).toString('utf8')) as unknown;
		return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as IDataObject) : undefined;
	} catch {
		return undefined;
	}
}

/** The payload (claims) of a JWT, or undefined when it is not a JWT. */
export function decodeJwtPayload(token: string): IDataObject | undefined {
	return decodePart(token, 1);
}

export function decodeJwtHeader(token: string): IDataObject | undefined {
	return decodePart(token, 0);
}

/** The application roles (`roles` claim) of an access token. */
export function rolesOf(token: string): string[] {
	const roles = decodeJwtPayload(token)?.roles;
	return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}
