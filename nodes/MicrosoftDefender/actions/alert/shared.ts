/**
 * Input reading shared by the alert, incident and advanced hunting operations. Every check
 * runs before any HTTP request and fails with a NodeOperationError naming the parameter and
 * the item.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { passOn } from '../../helpers/errors';
import { group, parseDateTime, validateRawFilter } from '../../helpers/odata';
import { preview } from '../../helpers/validate';

export type AlertApi = 'graph' | 'mde';

/** Graph asks for this to return evolvable enum members such as `awaitingAction`. */
export const GRAPH_HEADERS: IDataObject = { Prefer: 'include-unknown-enum-members' };

/** Alert ids: MDE `da637…_123`, other Defender products `ca…`, `fa…`, `ed…`, GUID-like. */
const ALERT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;
/** Incident ids: a number (XDR) or a numeric string (Graph). */
const INCIDENT_ID = /^\d{1,19}$/;

export const ALERT_ID_REGEX = '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,199}';
export const INCIDENT_ID_REGEX = '[0-9]{1,19}';

export function itemLabel(i: number): string {
	return `item ${i}`;
}

function fail(
	ctx: IExecuteFunctions,
	i: number,
	message: string,
	description: string,
): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), message, { itemIndex: i, description });
}

export function getAlertApi(ctx: IExecuteFunctions, i: number): AlertApi {
	const api = ctx.getNodeParameter('api', i, 'graph') as string;
	if (api !== 'graph' && api !== 'mde') {
		throw fail(ctx, i, `Unknown API "${api}" (${itemLabel(i)})`, 'Choose Microsoft Graph or Defender for Endpoint API.');
	}
	return api;
}

function locatorValue(ctx: IExecuteFunctions, name: string, i: number): string {
	const value = ctx.getNodeParameter(name, i, undefined, { extractValue: true }) as unknown;
	if (value === undefined || value === null) return '';
	if (typeof value === 'object') {
		const inner = (value as IDataObject).value;
		return inner === undefined || inner === null ? '' : String(inner).trim();
	}
	return String(value).trim();
}

/** Reads a resource-locator ID and checks it against `pattern`; messages name the item. */
function readLocatorId(
	ctx: IExecuteFunctions,
	i: number,
	parameter: string,
	displayName: string,
	pattern: RegExp,
	hints: { empty: string; kind: string; rule: string },
): string {
	const id = locatorValue(ctx, parameter, i);
	if (!id) {
		throw fail(ctx, i, `The parameter "${displayName}" is empty (${itemLabel(i)})`, hints.empty);
	}
	if (!pattern.test(id)) {
		throw fail(
			ctx,
			i,
			`The parameter "${displayName}" is not a valid ${hints.kind}: "${preview(id)}" (${itemLabel(i)})`,
			hints.rule,
		);
	}
	return id;
}

export function readAlertId(ctx: IExecuteFunctions, i: number, displayName = 'Alert'): string {
	return readLocatorId(ctx, i, 'alertId', displayName, ALERT_ID, {
		empty: 'Pick an alert from the list or enter its ID, e.g. da637472900382838869_1364969609.',
		kind: 'alert ID',
		rule: 'Alert IDs contain only letters, digits, "_", "-" and ".", e.g. da637472900382838869_1364969609.',
	});
}

export function readIncidentId(
	ctx: IExecuteFunctions,
	i: number,
	parameter = 'incidentId',
	displayName = 'Incident',
): string {
	return readLocatorId(ctx, i, parameter, displayName, INCIDENT_ID, {
		empty: 'Pick an incident from the list or enter its numeric ID, e.g. 2972395.',
		kind: 'incident ID',
		rule: 'Incident IDs are numbers, e.g. 2972395.',
	});
}

/** Validates an optional incident id typed into a filter. */
export function checkIncidentIdValue(
	ctx: IExecuteFunctions,
	i: number,
	value: unknown,
	displayName: string,
): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const id = String(value).trim();
	if (!INCIDENT_ID.test(id)) {
		throw fail(ctx, i, `The parameter "${displayName}" is not a valid incident ID: "${preview(id)}" (${itemLabel(i)})`, 'Incident IDs are numbers, e.g. 2972395.');
	}
	return id;
}

/** Parses an optional date parameter to ISO UTC, or throws naming the parameter. */
export function readDate(
	ctx: IExecuteFunctions,
	i: number,
	value: unknown,
	displayName: string,
): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const iso = parseDateTime(value);
	if (!iso) {
		throw fail(
			ctx,
			i,
			`The parameter "${displayName}" is not a valid date: "${preview(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value))}" (${itemLabel(i)})`,
			'Use an ISO 8601 date and time, e.g. 2024-05-01T00:00:00Z (times without a zone are read as UTC).',
		);
	}
	return iso;
}

/**
 * Checks an optional raw OData filter; returns it as one parenthesised group (so it cannot
 * widen the clauses it is ANDed with), or undefined.
 */
export function readRawFilter(
	ctx: IExecuteFunctions,
	i: number,
	value: unknown,
	displayName: string,
): string | undefined {
	if (value === undefined || value === null) return undefined;
	const text = String(value).trim();
	if (!text) return undefined;
	const problem = validateRawFilter(text);
	if (problem) {
		throw fail(
			ctx,
			i,
			`The parameter "${displayName}" is not a valid OData filter: ${problem} (${itemLabel(i)})`,
			"Write it like status eq 'new' and severity eq 'high'. Quote text in single quotes and double a quote inside text ('O''Brien').",
		);
	}
	return group(text);
}

export function requireText(
	ctx: IExecuteFunctions,
	i: number,
	name: string,
	displayName: string,
	hint: string,
): string {
	const value = ctx.getNodeParameter(name, i, '') as unknown;
	const text = value === undefined || value === null ? '' : String(value);
	if (!text.trim()) {
		throw fail(ctx, i, `The parameter "${displayName}" is empty (${itemLabel(i)})`, hint);
	}
	return text;
}

export function failInput(
	ctx: IExecuteFunctions,
	i: number,
	message: string,
	description: string,
): NodeOperationError {
	return fail(ctx, i, `${message} (${itemLabel(i)})`, description);
}

/** Wraps records as output items paired with input item `i`. */
export function toItems(
	ctx: IExecuteFunctions,
	i: number,
	data: IDataObject | IDataObject[],
): INodeExecutionData[] {
	return ctx.helpers.constructExecutionMetaData(ctx.helpers.returnJsonArray(data), {
		itemData: { item: i },
	});
}

/** A resource locator for alerts: list search, ID, or portal URL. */
export function alertLocator(description: string): INodeProperties {
	return {
		displayName: 'Alert',
		name: 'alertId',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select an alert...',
				typeOptions: { searchListMethod: 'searchAlerts', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. da637472900382838869_1364969609',
				validation: [
					{
						type: 'regex',
						properties: { regex: `^${ALERT_ID_REGEX}$`, errorMessage: 'Not a valid alert ID' },
					},
				],
			},
			{
				displayName: 'By URL',
				name: 'url',
				type: 'string',
				placeholder: 'e.g. https://security.microsoft.com/alerts/da637472900382838869_1364969609',
				extractValue: { type: 'regex', regex: `/alerts/(${ALERT_ID_REGEX})` },
				validation: [
					{
						type: 'regex',
						properties: {
							regex: `^https?://[^/]+/alerts/${ALERT_ID_REGEX}.*`,
							errorMessage: 'Not a Defender portal alert URL',
						},
					},
				],
			},
		],
	};
}

/** A resource locator for incidents: list search, ID, or portal URL. */
export function incidentLocator(description: string): INodeProperties {
	return {
		displayName: 'Incident',
		name: 'incidentId',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select an incident...',
				typeOptions: { searchListMethod: 'searchIncidents', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 2972395',
				validation: [
					{
						type: 'regex',
						properties: { regex: `^${INCIDENT_ID_REGEX}$`, errorMessage: 'Incident IDs are numbers' },
					},
				],
			},
			{
				displayName: 'By URL',
				name: 'url',
				type: 'string',
				placeholder: 'e.g. https://security.microsoft.com/incidents/2972395',
				extractValue: { type: 'regex', regex: `/incidents/(${INCIDENT_ID_REGEX})` },
				validation: [
					{
						type: 'regex',
						properties: {
							regex: `^https?://[^/]+/incidents/${INCIDENT_ID_REGEX}.*`,
							errorMessage: 'Not a Defender portal incident URL',
						},
					},
				],
			},
		],
	};
}

/** Splits "a, b ,c" (or an array from an expression) into trimmed, unique, non-empty strings. */
export function splitList(value: unknown): string[] {
	const parts = Array.isArray(value) ? value.map((v) => String(v)) : String(value ?? '').split(',');
	const out: string[] = [];
	for (const p of parts) {
		const t = p.trim();
		if (t && !out.includes(t)) out.push(t);
	}
	return out;
}

/**
 * Sends a PATCH whose determination Microsoft's pages spell two ways; on a 400 sends it once more
 * with the other spelling. `sentAs` is set when the second spelling was the one accepted.
 */
export async function patchWithDetermination(
	ctx: IExecuteFunctions,
	itemIndex: number,
	body: IDataObject,
	alternatives: Record<string, string>,
	send: (payload: IDataObject) => Promise<unknown>,
): Promise<{ response: unknown; sent: IDataObject; sentAs?: string }> {
	try {
		return { response: await send(body), sent: body };
	} catch (error) {
		const other = alternatives[String(body.determination)];
		if (!other || String((error as { httpCode?: unknown }).httpCode) !== '400') throw passOn(ctx.getNode(), error, itemIndex);
		const sent = { ...body, determination: other };
		return { response: await send(sent), sent, sentAs: other };
	}
}
