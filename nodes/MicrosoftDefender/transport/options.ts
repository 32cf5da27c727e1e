/**
 * The node parameters the transport obeys: Request Options (tenant override, retries, quota share,
 * timeout) and Authentication. Read per item here, in one place, and validated before anything
 * is sent.
 */
import type { IDataObject, IExecuteFunctions, IPollFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { isValidTenant } from '../helpers/token';
import { preview } from '../helpers/validate';
import type { DefenderContext } from './types';

export interface ItemRequestOptions {
	tenant?: string;
	maxRetries: number;
	maxRetryWaitMs: number;
	/** Share (0.01–1) of the documented quota this process paces to (Request Options → Quota Share). */
	quotaShare: number;
	/** Request Options → Timeout; undefined = the default per endpoint. */
	timeoutMs?: number;
}

function isExecuteContext(ctx: DefenderContext): ctx is IExecuteFunctions {
	return typeof (ctx as IExecuteFunctions).getInputData === 'function';
}

export function readRequestOptions(ctx: DefenderContext, itemIndex: number | undefined): ItemRequestOptions {
	let raw: IDataObject = {};
	try {
		raw = (
			isExecuteContext(ctx)
				? ctx.getNodeParameter('requestOptions', itemIndex ?? 0, {})
				: (ctx as IPollFunctions).getNodeParameter('requestOptions', {})
		) as IDataObject;
	} catch (error) {
		// An expression that fails (e.g. a missing field in ={{ $json.customer.tenant }}) must not
		// silently mean "the credential's tenant".
		throw new NodeOperationError(ctx.getNode(), `Request Options could not be read: ${(error as Error).message}`, {
			itemIndex,
			description: 'Check the expressions under Request Options (Tenant ID Override, Max Retries, Max Retry Wait).',
		});
	}
	raw = raw && typeof raw === 'object' ? raw : {};
	const override = raw.tenantId;
	if (override !== undefined && override !== null && typeof override !== 'string') {
		// Never fall back to the credential's own tenant: for an MSSP that is another customer.
		throw new NodeOperationError(
			ctx.getNode(),
			`Tenant ID Override must be text, got ${Array.isArray(override) ? 'an array' : typeof override}${itemIndex !== undefined ? ` (item ${itemIndex})` : ''}`,
			{
				itemIndex,
				description:
					"Request Options → Tenant ID Override takes one tenant's Directory (tenant) ID GUID or verified domain as text, e.g. ={{ $json.tenantId }} where that field holds a string. Leave it empty to use the credential's tenant.",
			},
		);
	}
	const tenant = typeof override === 'string' ? override.trim() : '';
	if (tenant && !isValidTenant(tenant)) {
		throw new NodeOperationError(ctx.getNode(), `Tenant ID Override "${preview(tenant)}" is not a tenant ID or domain`, {
			itemIndex,
			description:
				'Use the customer\'s Directory (tenant) ID GUID or a verified domain such as contoso.onmicrosoft.com (Request Options → Tenant ID Override).',
		});
	}
	const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : d);
	let timeoutMs: number | undefined;
	if (raw.timeoutSeconds !== undefined && raw.timeoutSeconds !== null && raw.timeoutSeconds !== '') {
		const seconds = typeof raw.timeoutSeconds === 'number' ? raw.timeoutSeconds : Number(raw.timeoutSeconds);
		if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
			throw new NodeOperationError(ctx.getNode(), `"Request Options > Timeout (Seconds)" must be a number from 1 to 600, not ${JSON.stringify(raw.timeoutSeconds)}`, {
				itemIndex,
				description: 'Set the timeout in seconds, e.g. 120.',
			});
		}
		timeoutMs = seconds * 1000;
	}
	return {
		tenant: tenant || undefined,
		maxRetries: Math.min(20, Math.floor(num(raw.maxRetries, 5))),
		maxRetryWaitMs: Math.max(1, num(raw.maxRetryWaitSeconds, 120)) * 1000,
		quotaShare: Math.min(100, Math.max(1, num(raw.quotaSharePercent, 100))) / 100,
		timeoutMs,
	};
}

/** The node's Authentication parameter ('entraApp' when absent: workflows made before it existed). */
export function authenticationOf(ctx: DefenderContext, itemIndex: number | undefined): string {
	try {
		return String(
			isExecuteContext(ctx)
				? ctx.getNodeParameter('authentication', itemIndex ?? 0, 'entraApp')
				: (ctx as IPollFunctions).getNodeParameter('authentication', 'entraApp'),
		);
	} catch {
		return 'entraApp';
	}
}

