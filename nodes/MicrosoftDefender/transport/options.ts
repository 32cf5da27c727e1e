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

interface NumberOption {
	key: string;
	label: string;
	min: number;
	max: number;
	fallback: number;
	whole?: boolean;
}

/** Bounds as in the editor (node.description.ts); an expression can send anything. */
const NUMBER_OPTIONS = {
	maxRetries: { key: 'maxRetries', label: 'Max Retries', min: 0, max: 10, fallback: 5, whole: true },
	maxRetryWaitSeconds: { key: 'maxRetryWaitSeconds', label: 'Max Retry Wait (Seconds)', min: 1, max: 3600, fallback: 120 },
	quotaSharePercent: { key: 'quotaSharePercent', label: 'Quota Share (%)', min: 1, max: 100, fallback: 100 },
} satisfies Record<string, NumberOption>;

/**
 * A number from Request Options. Empty means the default; a number or numeric text in bounds is
 * used; anything else is refused before sending, because a silent default (5 retries where
 * the user's expression meant 0) changes what the node does to the tenant.
 */
function numberOption(ctx: DefenderContext, itemIndex: number | undefined, raw: IDataObject, option: NumberOption): number {
	const value = raw[option.key];
	if (value === undefined || value === null || value === '') return option.fallback;
	const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
	const kind = option.whole ? 'a whole number' : 'a number';
	if (!Number.isFinite(n) || n < option.min || n > option.max || (option.whole && !Number.isInteger(n))) {
		throw new NodeOperationError(
			ctx.getNode(),
			`"Request Options > ${option.label}" must be ${kind} from ${option.min} to ${option.max}, not ${preview(JSON.stringify(value) ?? String(value))}`,
			{ itemIndex, description: `Set ${option.label} to ${kind} from ${option.min} to ${option.max}, or leave it empty for ${option.fallback}.` },
		);
	}
	return n;
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
		maxRetries: numberOption(ctx, itemIndex, raw, NUMBER_OPTIONS.maxRetries),
		maxRetryWaitMs: numberOption(ctx, itemIndex, raw, NUMBER_OPTIONS.maxRetryWaitSeconds) * 1000,
		quotaShare: numberOption(ctx, itemIndex, raw, NUMBER_OPTIONS.quotaSharePercent) / 100,
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

