/** Bearer-token checks for API routes: signature, lifetime, tenant, audience, roles. */
import type { ApiFamily, CallerAuth } from '../types';
import type { ForbiddenMessage } from '../contract';
import { missingRolesMessage } from './apiErrors';
import type { CoreContext } from './context';
import { decodeJwt, verifyJwtSignature } from './jwt';
import { familyOfResource } from './resources';
import { delegatedRefusal } from './delegated';

export interface AuthFailure {
	status: 401 | 403;
	code: string;
	message: string;
	/** What we could read from the token (for the log). */
	partial?: Partial<CallerAuth>;
}

const SIBLINGS: Record<ApiFamily, ApiFamily | undefined> = {
	mde: 'xdr',
	xdr: 'mde',
	graph: undefined,
};

/**
 * 401 code per family: Graph says `InvalidAuthenticationToken`; MDE/XDR `Unauthorized`
 * (defender-api.md §8.1, §5.4).
 */
function unauthorized(
	family: ApiFamily,
	message: string,
	partial?: Partial<CallerAuth>,
): AuthFailure {
	return {
		status: 401,
		code: family === 'graph' ? 'InvalidAuthenticationToken' : 'Unauthorized',
		message,
		partial,
	};
}

export function authenticate(
	ctx: CoreContext,
	authorization: string | undefined,
	family: ApiFamily,
	requiredRoles: string[],
	method = 'GET',
	forbidden: ForbiddenMessage = 'namesRoles',
): { auth: CallerAuth } | { fail: AuthFailure } {
	const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
	if (!m) return { fail: unauthorized(family, 'Access token is empty.') };
	const jwt = decodeJwt(m[1]);
	if (!jwt) {
		return {
			fail: unauthorized(
				family,
				family === 'graph'
					? 'CompactToken parsing failed with error code: 80049217'
					: 'Access token validation failure. Token is malformed.',
			),
		};
	}
	const p = jwt.payload;
	const roles: string[] = Array.isArray(p.roles)
		? p.roles.filter((r: unknown) => typeof r === 'string')
		: [];
	const partial: Partial<CallerAuth> = {
		tenantId: typeof p.tid === 'string' ? p.tid : undefined,
		appId: typeof p.appid === 'string' ? p.appid : typeof p.azp === 'string' ? p.azp : undefined,
		audience: typeof p.aud === 'string' ? p.aud : undefined,
		roles,
	};
	if (jwt.header.alg !== 'RS256' || !verifyJwtSignature(jwt, ctx.signing.publicKey, 'RS256')) {
		return {
			fail: unauthorized(family, 'Access token validation failure. Invalid signature.', partial),
		};
	}
	const now = ctx.clock.now() / 1000;
	if (typeof p.exp !== 'number' || now >= p.exp) {
		return {
			fail: unauthorized(family, 'Lifetime validation failed, the token is expired.', partial),
		};
	}
	if (typeof p.nbf === 'number' && now < p.nbf) {
		return {
			fail: unauthorized(
				family,
				'Lifetime validation failed, the token is not yet valid.',
				partial,
			),
		};
	}
	const tenant = partial.tenantId ? ctx.fixture.tenants[partial.tenantId] : undefined;
	if (!tenant || p.iss !== `https://sts.windows.net/${tenant.id}/`) {
		return {
			fail: unauthorized(family, 'Access token validation failure. Invalid issuer.', partial),
		};
	}
	const tokenFamily = partial.audience ? familyOfResource(partial.audience) : undefined;
	if (tokenFamily !== family) {
		if (tokenFamily && SIBLINGS[family] === tokenFamily) {
			// Observed: the sibling Defender audience gets 403 "Missing application roles".
			return {
				fail: {
					status: 403,
					code: 'Forbidden',
					message: missingRolesMessage(requiredRoles, roles, forbidden),
					partial,
				},
			};
		}
		return {
			fail: unauthorized(family, 'Access token validation failure. Invalid audience.', partial),
		};
	}
	if (typeof p.scp === 'string') {
		// Delegated: the app's delegated permissions AND the user's Defender role.
		const scp = p.scp.split(' ').filter(Boolean);
		const refusal = delegatedRefusal(ctx, family, method, requiredRoles, scp, typeof p.oid === 'string' ? p.oid : undefined);
		if (refusal) return { fail: { status: 403, code: 'Forbidden', message: refusal, partial: { ...partial, roles: scp } } };
		// Route handlers read application-role names: map each delegated name to its app role too.
		const asRoles = [...new Set([...scp, ...scp.map((n) => (family === 'graph' || n.endsWith('.All') ? n : `${n}.All`))])];
		return { auth: { tenantId: tenant.id, appId: partial.appId ?? '', audience: partial.audience!, roles: asRoles } };
	}
	if (requiredRoles.length && !requiredRoles.some((r) => roles.includes(r))) {
		return {
			fail: {
				status: 403,
				code: 'Forbidden',
				message: missingRolesMessage(requiredRoles, roles, forbidden),
				partial,
			},
		};
	}
	return {
		auth: { tenantId: tenant.id, appId: partial.appId ?? '', audience: partial.audience!, roles },
	};
}
