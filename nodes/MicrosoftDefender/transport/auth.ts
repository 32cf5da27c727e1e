/**
 * Which credential signs a request and with which token: the app credential (client credentials,
 * per tenant and audience) or the delegated sign-in. The one "get a token or throw" of the
 * transport, and the one reaction to a 401.
 */
import { NodeOperationError } from 'n8n-workflow';

import {
	delegatedTarget,
	signInFamily,
	storedAccessToken,
	type DelegatedCredentialData,
} from '../helpers/delegated';
import { CREDENTIAL_TYPES } from '../helpers/credentialTypes';
import type { ApiFamily } from '../helpers/hosts';
import { TokenError, tokenTarget, type DefenderCredentialData, type TokenTarget } from '../helpers/token';
import { getDelegatedToken, invalidateDelegatedToken, renewSignInToken } from './delegated';
import { tokenFailure } from './errors';
import { authenticationOf, readRequestOptions, type ItemRequestOptions } from './options';
import { dropToken, getAccessToken, invalidateToken } from './token';
import type { DefenderContext } from './types';

export interface Resolved {
	target: TokenTarget;
	credentials: DefenderCredentialData;
	options: ItemRequestOptions;
	/** Set for the delegated credential; `signIn`: n8n itself holds and refreshes this API's token. */
	delegated?: { credentials: DelegatedCredentialData; signIn: boolean };
}

/** The token target, or the credential problem as a NodeOperationError. */
function targetOrThrow(ctx: DefenderContext, itemIndex: number | undefined, resolve: () => TokenTarget): TokenTarget {
	let target: TokenTarget | undefined;
	let problem: TokenError | undefined;
	try {
		target = resolve();
	} catch (error) {
		problem = error instanceof TokenError ? error : new TokenError({ message: 'The credential is invalid', description: '' });
	}
	if (!target) {
		throw new NodeOperationError(ctx.getNode(), problem!.explanation.message, {
			itemIndex,
			description: problem!.explanation.description,
		});
	}
	return target;
}

async function resolveDelegated(ctx: DefenderContext, api: ApiFamily, itemIndex: number | undefined): Promise<Resolved> {
	const credentials = (await ctx.getCredentials(CREDENTIAL_TYPES.delegated, itemIndex ?? 0)) as DelegatedCredentialData;
	const options = readRequestOptions(ctx, itemIndex);
	if (options.tenant) {
		throw new NodeOperationError(ctx.getNode(), 'Tenant ID Override does not apply to a delegated credential', {
			itemIndex,
			description: 'A delegated sign-in belongs to one customer tenant: create one Microsoft Defender Delegated OAuth2 API credential per customer and clear the override.',
		});
	}
	const target = targetOrThrow(ctx, itemIndex, () => delegatedTarget(credentials, api));
	return { target, credentials: {}, options, delegated: { credentials, signIn: signInFamily(credentials) === api } };
}

/** The credential, token target and Request Options of one item. */
export async function resolveAuth(ctx: DefenderContext, api: ApiFamily, itemIndex: number | undefined): Promise<Resolved> {
	if (authenticationOf(ctx, itemIndex) === 'delegatedOAuth2') return await resolveDelegated(ctx, api, itemIndex);
	const credentials = (await ctx.getCredentials(CREDENTIAL_TYPES.entraApp, itemIndex ?? 0)) as DefenderCredentialData;
	const options = readRequestOptions(ctx, itemIndex);
	const target = targetOrThrow(ctx, itemIndex, () => tokenTarget(credentials, api, options.tenant));
	return { target, credentials, options };
}

/** A token for the resolved target, or a NodeApiError (kind 'token', not sent). */
export async function tokenOrThrow(ctx: DefenderContext, auth: Resolved, itemIndex: number | undefined): Promise<string> {
	const { target, credentials, options, delegated } = auth;
	let token: string | undefined;
	let failure: TokenError | undefined;
	try {
		if (!delegated) token = await getAccessToken(ctx, credentials, target, { maxWaitMs: options.maxRetryWaitMs });
		// The Sign-In API's token is the one n8n stores (and refreshes: see renewAfterUnauthorized).
		else if (delegated.signIn) token = storedAccessToken(delegated.credentials);
		else token = await getDelegatedToken(ctx, delegated.credentials, target);
	} catch (error) {
		failure = error instanceof TokenError ? error : new TokenError({ message: 'Could not get an access token', description: '' });
	}
	if (!token) throw tokenFailure(ctx.getNode(), itemIndex, failure ?? new TokenError({ message: 'Could not get an access token', description: '' }));
	return token;
}

/** After a 401: forget the refused token (or let n8n renew the sign-in) so the next attempt gets a fresh one. */
export async function renewAfterUnauthorized(ctx: DefenderContext, auth: Resolved, token: string, itemIndex: number | undefined): Promise<void> {
	const { target, delegated } = auth;
	if (!delegated) return invalidateToken(target, token);
	if (!delegated.signIn) return invalidateDelegatedToken(target, token);
	try {
		await renewSignInToken(ctx, delegated.credentials, target, itemIndex);
	} catch (error) {
		const problem =
			error instanceof TokenError
				? error
				: new TokenError({ message: 'Could not renew the delegated sign-in', description: 'Open the credential and press "Reconnect".' });
		// An answer (401) came back: keep this error's `sent` as it was (the request reached Microsoft).
		throw tokenFailure(ctx.getNode(), itemIndex, problem, true);
	}
}

/** A token for the family and the item's tenant (NodeApiError on failure). */
export async function getDefenderToken(
	this: DefenderContext,
	api: ApiFamily,
	itemIndex?: number,
	opts: { fresh?: boolean } = {},
): Promise<{ token: string; tenant: string; scope: string; authority: string }> {
	const auth = await resolveAuth(this, api, itemIndex);
	if (opts.fresh) dropToken(auth.target);
	const token = await tokenOrThrow(this, auth, itemIndex);
	return { token, tenant: auth.target.tenant, scope: auth.target.scope, authority: auth.target.endpoints.authority };
}
