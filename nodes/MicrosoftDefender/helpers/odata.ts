/**
 * OData `$filter` building for the MDE, XDR and Graph security APIs.
 *
 * Every user-supplied value goes through `literal()`: strings are single-quoted with embedded
 * quotes doubled (OData ABNF `SQUOTE-in-string`), so a quote in a device name or a UPN can never
 * end the literal and change the filter. Datetimes are unquoted ISO-8601 UTC, numbers must be
 * finite, property names must be plain identifiers. URL encoding is the transport's job (qs).
 *
 * The helpers are pure and throw `ODataInputError` (a plain Error subclass) on bad input;
 * operations validate user input first with `parseDateTime`/`validateRawFilter` and raise a
 * `NodeOperationError` naming the parameter and the item.
 */

/** A literal that is inserted verbatim (already formatted), e.g. a datetime. */
export interface ODataRawLiteral {
	readonly odataRaw: string;
}

export type ODataValue = string | number | boolean | null | Date | ODataRawLiteral;

export type ODataComparison = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export class ODataInputError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ODataInputError';
	}
}

const PROPERTY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;

function assertProperty(property: string): void {
	if (!PROPERTY_PATTERN.test(property)) {
		throw new ODataInputError(`"${property}" is not a valid OData property name`);
	}
}

/** Doubles single quotes: `O'Brien` → `O''Brien`. Does not add the surrounding quotes. */
export function escapeODataString(value: string): string {
	return value.replace(/'/g, "''");
}

/** `'value'` with quotes escaped. */
export function quote(value: string): string {
	return `'${escapeODataString(value)}'`;
}

/** Marks an already formatted literal (e.g. from `dateTime()`). Never pass user text here. */
export function rawLiteral(value: string): ODataRawLiteral {
	return { odataRaw: value };
}

const ZONE_SUFFIX = /(Z|[+-]\d{2}:?\d{2})$/i;
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Whether the date and time fields of an ISO-like text exist on the calendar: `Date` rolls
 * 2024-02-30 over to 2024-03-01 and 24:00 to the next day, which would silently move a filter.
 */
export function isRealCalendarDate(text: string): boolean {
	const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text);
	if (!m) return false;
	const [y, mo, d, h = 0, mi = 0, sec = 0] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return false;
	const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
	return d <= days;
}

/**
 * Parses a user date (ISO-8601 string, epoch ms, Date, or an object with `toISO()`/`toJSDate()`
 * such as a Luxon DateTime from an expression). A string without a zone is read as UTC.
 * Returns the normalised ISO string (`2024-05-01T00:00:00.000Z`) or `undefined` when invalid.
 */
export function parseDateTime(input: unknown): string | undefined {
	if (input === undefined || input === null || input === '') return undefined;
	let date: Date | undefined;
	if (input instanceof Date) {
		date = input;
	} else if (typeof input === 'number') {
		date = new Date(input);
	} else if (typeof input === 'string') {
		const text = input.trim();
		if (!ISO_LIKE.test(text) || !isRealCalendarDate(text)) return undefined;
		const withT = text.replace(' ', 'T');
		// Date-only or zone-less strings: treat as UTC (Date would use the server's zone).
		const normalised = ZONE_SUFFIX.test(withT) || !withT.includes('T') ? withT : `${withT}Z`;
		date = new Date(normalised.includes('T') ? normalised : `${normalised}T00:00:00Z`);
	} else if (typeof input === 'object') {
		const candidate = input as { toJSDate?: () => Date; toISO?: () => string };
		if (typeof candidate.toJSDate === 'function') date = candidate.toJSDate();
		else if (typeof candidate.toISO === 'function') return parseDateTime(candidate.toISO());
	}
	if (!date || Number.isNaN(date.getTime())) return undefined;
	return date.toISOString();
}

/** A datetime literal (unquoted ISO UTC) from anything `parseDateTime` accepts; throws if invalid. */
export function dateTime(input: unknown): ODataRawLiteral {
	const iso = parseDateTime(input);
	if (!iso) throw new ODataInputError(`"${String(input)}" is not a valid date and time`);
	return rawLiteral(iso);
}

/** Formats one value as an OData literal. */
export function literal(value: ODataValue): string {
	if (value === null) return 'null';
	if (value instanceof Date) return dateTime(value).odataRaw;
	switch (typeof value) {
		case 'string':
			return quote(value);
		case 'number':
			if (!Number.isFinite(value)) throw new ODataInputError(`${value} is not a finite number`);
			return String(value);
		case 'boolean':
			return value ? 'true' : 'false';
		case 'object':
			if (typeof value.odataRaw === 'string') return value.odataRaw;
	}
	throw new ODataInputError(`Unsupported OData value: ${String(value)}`);
}

/** `property op literal`, e.g. `compare('status', 'eq', "new")` → `status eq 'new'`. */
export function compare(property: string, operator: ODataComparison, value: ODataValue): string {
	assertProperty(property);
	return `${property} ${operator} ${literal(value)}`;
}

export const eq = (property: string, value: ODataValue) => compare(property, 'eq', value);
export const ne = (property: string, value: ODataValue) => compare(property, 'ne', value);
export const gt = (property: string, value: ODataValue) => compare(property, 'gt', value);
export const ge = (property: string, value: ODataValue) => compare(property, 'ge', value);
export const lt = (property: string, value: ODataValue) => compare(property, 'lt', value);
export const le = (property: string, value: ODataValue) => compare(property, 'le', value);

/**
 * Matches any of the values: `(p eq 'a' or p eq 'b')`. Uses `or` rather than `in`, which the
 * MDE API does not document. Empty list → `undefined` (no clause).
 */
export function anyOf(property: string, values: ODataValue[]): string | undefined {
	const unique = values.filter((v, i) => values.indexOf(v) === i);
	if (unique.length === 0) return undefined;
	if (unique.length === 1) return eq(property, unique[0]);
	return `(${unique.map((v) => eq(property, v)).join(' or ')})`;
}

/** `startswith(property,'value')` (MDE machines support it on `computerDnsName`). */
export function startsWith(property: string, value: string): string {
	assertProperty(property);
	return `startswith(${property},${quote(value)})`;
}

/** `contains(property,'value')`. */
export function contains(property: string, value: string): string {
	assertProperty(property);
	return `contains(${property},${quote(value)})`;
}

/** `property/any(t: t eq 'value')` — collection membership (e.g. machine tags). */
export function anyEquals(property: string, value: ODataValue): string {
	assertProperty(property);
	return `${property}/any(x: x eq ${literal(value)})`;
}

interface ScanResult {
	error?: string;
	/** Whether `or` appears outside string literals and parentheses. */
	topLevelOr: boolean;
	/** Whether the whole text is one parenthesised group. */
	wrapped: boolean;
}

/** Whether the character next to a word ends it (OData names hold letters, digits, _ . / and @). */
function isBoundary(c: string | undefined): boolean {
	return c === undefined || !/[A-Za-z0-9_./@$]/.test(c);
}

function scan(filter: string): ScanResult {
	let depth = 0;
	let inString = false;
	let topLevelOr = false;
	let wrapped = filter.startsWith('(');
	for (let i = 0; i < filter.length; i++) {
		const c = filter[i];
		if (inString) {
			if (c === "'") {
				if (filter[i + 1] === "'") i++;
				else inString = false;
			}
			continue;
		}
		if (c === "'") inString = true;
		else if (c === '(') depth++;
		else if (c === ')') {
			depth--;
			if (depth < 0) return { error: 'a ")" has no matching "("', topLevelOr, wrapped: false };
			if (depth === 0 && i < filter.length - 1) wrapped = false;
		} else if (depth === 0 && /^or$/i.test(filter.slice(i, i + 2)) && isBoundary(filter[i - 1]) && isBoundary(filter[i + 2])) {
			// `or` as a word at the top level, also glued to quotes or parentheses: `'x'or(…)`.
			topLevelOr = true;
		}
	}
	if (inString) return { error: 'a string literal is not closed (quote it as \'...\' and double any quote inside)', topLevelOr, wrapped: false };
	if (depth > 0) return { error: 'a "(" is not closed', topLevelOr, wrapped: false };
	return { topLevelOr, wrapped };
}

/**
 * Checks a user's raw `$filter` text before it is combined with other clauses: balanced
 * parentheses outside string literals and closed literals. Returns a reason, or `undefined`
 * when it is acceptable. (The API still judges the semantics and answers 400 otherwise.)
 */
export function validateRawFilter(filter: string): string | undefined {
	if (filter.trim() === '') return undefined;
	return scan(filter.trim()).error;
}

/**
 * A user's raw filter as one parenthesised group (validated first), so nothing in it can escape
 * the clauses it is ANDed with: `status eq 'New' or(…)` stays inside its parentheses.
 */
export function group(filter: string): string {
	const text = filter.trim();
	const result = scan(text);
	if (result.error) throw new ODataInputError(`Invalid filter "${text}": ${result.error}`);
	return result.wrapped ? text : `(${text})`;
}

/**
 * ANDs clauses; empty/undefined ones are skipped. A clause with a top-level `or` is wrapped in
 * parentheses so precedence is preserved. Returns `undefined` when nothing is left, so the
 * caller can leave `$filter` out of the query.
 */
export function and(...clauses: Array<string | undefined | null | false>): string | undefined {
	const parts: string[] = [];
	for (const clause of clauses) {
		if (!clause) continue;
		const text = clause.trim();
		if (!text) continue;
		const result = scan(text);
		if (result.error) throw new ODataInputError(`Invalid filter "${text}": ${result.error}`);
		parts.push(result.topLevelOr && !result.wrapped ? `(${text})` : text);
	}
	if (parts.length === 0) return undefined;
	return parts.join(' and ');
}

/** ORs clauses (each wrapped when needed); `undefined` when empty. */
export function or(...clauses: Array<string | undefined | null | false>): string | undefined {
	const parts = clauses.filter((c): c is string => !!c && c.trim() !== '').map((c) => c.trim());
	if (parts.length === 0) return undefined;
	if (parts.length === 1) return parts[0];
	return `(${parts.join(' or ')})`;
}
