/**
 * What the operations of several resources share: output items paired with their input item,
 * reading node parameters (checked before any HTTP request; errors name the parameter and the
 * item, built by helpers/validate), the portal-ID resource locator, and the determination retry.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { passOn } from '../helpers/errors';
import type { PagedEndpoint } from '../helpers/limits';
import { group, parseDateTime, validateRawFilter } from '../helpers/odata';
import type { OperationRef } from '../helpers/permissions';
import type { ValidateOptions } from '../helpers/validate';
import { inputError, parameterError, preview, readLimit } from '../helpers/validate';
import { defenderApiRequestAllItems } from '../transport';

/** Wraps records as output items paired with input item `i`. */
export function toItems(this: IExecuteFunctions, data: IDataObject | IDataObject[], i: number): INodeExecutionData[] {
	return this.helpers.constructExecutionMetaData(this.helpers.returnJsonArray(data), { itemData: { item: i } });
}

/** An input error that is about more than one parameter (or none). */
export function failInput(ctx: IExecuteFunctions, i: number, message: string, description: string) {
	return inputError(ctx.getNode(), i, message, description);
}

/** The API parameter of alerts and advanced hunting: Microsoft Graph or the MDE API. */
export function readApi(ctx: IExecuteFunctions, i: number): 'graph' | 'mde' {
	const api = ctx.getNodeParameter('api', i, 'graph') as string;
	if (api !== 'graph' && api !== 'mde') {
		throw failInput(ctx, i, `Unknown API "${api}"`, 'Choose Microsoft Graph or Defender for Endpoint API.');
	}
	return api;
}

/** Return All / Limit of a Get Many operation: undefined = all. 0, -1, NaN or text are refused, never read as "all". */
export function readReturnAllLimit(ctx: IExecuteFunctions, i: number): number | undefined {
	if (ctx.getNodeParameter('returnAll', i, false) === true) return undefined;
	return readLimit(ctx.getNode(), ctx.getNodeParameter('limit', i, 50), i);
}

/** The Filters collection's values, and how to name one of them in errors (`"Filters > Tag" …`). */
export function readFilters(
	ctx: IExecuteFunctions,
	i: number,
): { filters: IDataObject; at: (parameter: string) => ValidateOptions } {
	const filters = ctx.getNodeParameter('filters', i, {}) as IDataObject;
	return { filters, at: (parameter) => ({ parameter: `Filters > ${parameter}`, itemIndex: i }) };
}

/** Reads an MDE list (GET with an optional `$filter`) up to `limit` (undefined = all). */
export async function readMdeList(
	this: IExecuteFunctions,
	i: number,
	list: { path: string; filter?: string; endpoint: PagedEndpoint; operation: OperationRef },
	limit: number | undefined,
): Promise<IDataObject[]> {
	return await defenderApiRequestAllItems.call(
		this,
		{
			api: 'mde',
			method: 'GET',
			path: list.path,
			qs: list.filter ? { $filter: list.filter } : {},
			itemIndex: i,
			operation: list.operation,
		},
		{ endpoint: list.endpoint, limit },
	);
}

/** A required text parameter, as typed (not trimmed). */
export function requireText(ctx: IExecuteFunctions, i: number, name: string, displayName: string, hint: string): string {
	const value = ctx.getNodeParameter(name, i, '') as unknown;
	const text = value === undefined || value === null ? '' : String(value);
	if (!text.trim()) throw parameterError(ctx.getNode(), displayName, i, 'is empty', hint);
	return text;
}

/** Parses an optional date parameter to ISO UTC, or throws naming the parameter. */
export function readDate(ctx: IExecuteFunctions, i: number, value: unknown, displayName: string): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const iso = parseDateTime(value);
	if (!iso) {
		const shown = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
		throw parameterError(
			ctx.getNode(),
			displayName,
			i,
			`is not a valid date: "${preview(shown)}"`,
			'Use an ISO 8601 date and time, e.g. 2024-05-01T00:00:00Z (times without a zone are read as UTC).',
		);
	}
	return iso;
}

/**
 * Checks an optional raw OData filter; returns it as one parenthesised group (so it cannot
 * widen the clauses it is ANDed with), or undefined.
 */
export function readRawFilter(ctx: IExecuteFunctions, i: number, value: unknown, displayName: string): string | undefined {
	if (value === undefined || value === null) return undefined;
	const text = String(value).trim();
	if (!text) return undefined;
	const problem = validateRawFilter(text);
	if (problem) {
		throw parameterError(
			ctx.getNode(),
			displayName,
			i,
			`is not a valid OData filter: ${problem}`,
			"Write it like status eq 'new' and severity eq 'high'. Quote text in single quotes and double a quote inside text ('O''Brien').",
		);
	}
	return group(text);
}

/** A Defender ID as the portal shows it: its pattern, its words in messages, its list search. */
export interface PortalId {
	/** Parameter name and display name of the locator. */
	name: string;
	displayName: string;
	/** "alert", "incident": in placeholders and messages. */
	noun: string;
	/** Regex source of one ID (no anchors), shared by the editor's checks and the node's. */
	pattern: string;
	/** Path segment of the portal URL: security.microsoft.com/<urlPath>/<id>. */
	urlPath: string;
	example: string;
	searchListMethod: string;
	/** Says what an ID looks like, for the error when a value does not match. */
	rule: string;
}

/** The resource locator of a portal ID: list search, ID, or portal URL. */
export function portalIdLocator(id: PortalId, description: string): INodeProperties {
	return {
		displayName: id.displayName,
		name: id.name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: `Select an ${id.noun}...`,
				typeOptions: { searchListMethod: id.searchListMethod, searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: `e.g. ${id.example}`,
				validation: [
					{ type: 'regex', properties: { regex: `^${id.pattern}$`, errorMessage: `Not a valid ${id.noun} ID` } },
				],
			},
			{
				displayName: 'By URL',
				name: 'url',
				type: 'string',
				placeholder: `e.g. https://security.microsoft.com/${id.urlPath}/${id.example}`,
				extractValue: { type: 'regex', regex: `/${id.urlPath}/(${id.pattern})` },
				validation: [
					{
						type: 'regex',
						properties: {
							regex: `^https?://[^/]+/${id.urlPath}/${id.pattern}.*`,
							errorMessage: `Not a Defender portal ${id.noun} URL`,
						},
					},
				],
			},
		],
	};
}

/** Checks a portal ID typed or picked; empty → undefined. */
export function checkPortalId(
	ctx: IExecuteFunctions,
	i: number,
	id: PortalId,
	value: unknown,
	displayName: string,
): string | undefined {
	if (value === undefined || value === null) return undefined;
	const text = String(value).trim();
	if (!text) return undefined;
	if (!new RegExp(`^${id.pattern}$`).test(text)) {
		throw parameterError(ctx.getNode(), displayName, i, `is not a valid ${id.noun} ID: "${preview(text)}"`, id.rule);
	}
	return text;
}

/** Reads the portal-ID locator parameter; an empty one is an error. */
export function readPortalId(ctx: IExecuteFunctions, i: number, id: PortalId, parameter = id.name, displayName = id.displayName): string {
	const raw = ctx.getNodeParameter(parameter, i, undefined, { extractValue: true }) as unknown;
	const value = raw !== null && typeof raw === 'object' ? (raw as IDataObject).value : raw;
	const checked = checkPortalId(ctx, i, id, value, displayName);
	if (checked === undefined) {
		throw parameterError(
			ctx.getNode(),
			displayName,
			i,
			'is empty',
			`Pick an ${id.noun} from the list or enter its ID, e.g. ${id.example}.`,
		);
	}
	return checked;
}

/**
 * Sends a PATCH whose determination Microsoft's pages spell two ways; on a 400 sends it once more
 * with the other spelling. Returns the updated record (Microsoft's answer, or `{ id, ...what was
 * sent }` when the answer is empty), with `determinationSentAs` when the second spelling was the
 * one accepted.
 */
export async function patchWithDetermination(
	ctx: IExecuteFunctions,
	itemIndex: number,
	id: string,
	body: IDataObject,
	alternatives: Record<string, string>,
	send: (payload: IDataObject) => Promise<unknown>,
): Promise<IDataObject> {
	let response: unknown;
	let sent = body;
	let sentAs: string | undefined;
	try {
		response = await send(body);
	} catch (error) {
		const other = alternatives[String(body.determination)];
		if (!other || String((error as { httpCode?: unknown }).httpCode) !== '400') throw passOn(ctx.getNode(), error, itemIndex);
		sent = { ...body, determination: other };
		sentAs = other;
		response = await send(sent);
	}
	const record: IDataObject =
		response && typeof response === 'object' && Object.keys(response).length > 0 ? (response as IDataObject) : { id, ...sent };
	if (sentAs) record.determinationSentAs = sentAs;
	return record;
}
