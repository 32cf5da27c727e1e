import {
	and,
	anyEquals,
	anyOf,
	contains,
	dateTime,
	eq,
	escapeODataString,
	ge,
	literal,
	ODataInputError,
	or,
	parseDateTime,
	quote,
	startsWith,
	validateRawFilter,
} from '../../nodes/MicrosoftDefender/helpers/odata';

describe('helpers/odata', () => {
	describe('string literals', () => {
		it('doubles single quotes and wraps in quotes', () => {
			expect(escapeODataString("O'Brien")).toBe("O''Brien");
			expect(quote("it's")).toBe("'it''s'");
			expect(quote("''")).toBe("''''''");
			expect(eq('assignedTo', "x' or 1 eq 1 or 'a")).toBe("assignedTo eq 'x'' or 1 eq 1 or ''a'");
		});

		it('round-trips through unescape', () => {
			const unescapeODataString = (value: string) => value.replace(/''/g, "'");
			for (const v of ["a'b", "'", "''", "x') or (true", 'plain', "é'ü"]) {
				expect(unescapeODataString(escapeODataString(v))).toBe(v);
			}
		});

		it('an injected quote does not add a top-level or to an AND filter', () => {
			const filter = and(eq('status', 'new'), eq('assignedTo', "me' or status eq 'resolved"));
			expect(filter).toBe("status eq 'new' and assignedTo eq 'me'' or status eq ''resolved'");
			expect(validateRawFilter(filter!)).toBeUndefined();
		});

		it('keeps other characters as they are (URL encoding is the transport job)', () => {
			expect(quote('a&b#c+d %e/f')).toBe("'a&b#c+d %e/f'");
		});
	});

	describe('literal()', () => {
		it('formats numbers, booleans, null and dates', () => {
			expect(literal(123)).toBe('123');
			expect(literal(true)).toBe('true');
			expect(literal(false)).toBe('false');
			expect(literal(null)).toBe('null');
			expect(literal(new Date('2024-05-01T00:00:00Z'))).toBe('2024-05-01T00:00:00.000Z');
			expect(literal(dateTime('2024-05-01T10:00:00Z'))).toBe('2024-05-01T10:00:00.000Z');
		});

		it('refuses non-finite numbers', () => {
			expect(() => literal(Number.NaN)).toThrow(ODataInputError);
			expect(() => literal(Number.POSITIVE_INFINITY)).toThrow(ODataInputError);
		});
	});

	describe('property names', () => {
		it('refuses anything but identifiers', () => {
			expect(() => eq('status eq 1 or x', 'a')).toThrow(ODataInputError);
			expect(() => eq("x'", 'a')).toThrow(ODataInputError);
			expect(() => eq('', 'a')).toThrow(ODataInputError);
			expect(eq('fileDetails/sha1', 'a')).toBe("fileDetails/sha1 eq 'a'");
		});
	});

	describe('parseDateTime()', () => {
		it('accepts ISO strings with and without zone (UTC assumed)', () => {
			expect(parseDateTime('2024-05-01T00:00:00Z')).toBe('2024-05-01T00:00:00.000Z');
			expect(parseDateTime('2024-05-01T02:00:00+02:00')).toBe('2024-05-01T00:00:00.000Z');
			expect(parseDateTime('2024-05-01T00:00:00')).toBe('2024-05-01T00:00:00.000Z');
			expect(parseDateTime('2024-05-01 10:11')).toBe('2024-05-01T10:11:00.000Z');
			expect(parseDateTime('2024-05-01')).toBe('2024-05-01T00:00:00.000Z');
			expect(parseDateTime('2021-01-26T20:33:57.7220239Z')).toBe('2021-01-26T20:33:57.722Z');
		});

		it('accepts epoch ms, Date and Luxon-like objects', () => {
			expect(parseDateTime(0)).toBe('1970-01-01T00:00:00.000Z');
			expect(parseDateTime(new Date('2024-01-02T03:04:05Z'))).toBe('2024-01-02T03:04:05.000Z');
			expect(parseDateTime({ toJSDate: () => new Date('2024-01-02T03:04:05Z') })).toBe(
				'2024-01-02T03:04:05.000Z',
			);
			expect(parseDateTime({ toISO: () => '2024-01-02T03:04:05Z' })).toBe('2024-01-02T03:04:05.000Z');
		});

		it('rejects garbage', () => {
			for (const bad of ['yesterday', '2024-13-45T00:00:00Z', "2024-01-01' or 1 eq 1", '12', {}, []]) {
				expect(parseDateTime(bad)).toBeUndefined();
			}
			expect(parseDateTime('')).toBeUndefined();
			expect(parseDateTime(undefined)).toBeUndefined();
			expect(() => dateTime('nope')).toThrow(ODataInputError);
		});
	});

	describe('clause builders', () => {
		it('anyOf uses or-chains in parentheses and dedupes', () => {
			expect(anyOf('severity', [])).toBeUndefined();
			expect(anyOf('severity', ['high'])).toBe("severity eq 'high'");
			expect(anyOf('severity', ['high', 'medium', 'high'])).toBe(
				"(severity eq 'high' or severity eq 'medium')",
			);
		});

		it('startsWith, contains and anyEquals escape their values', () => {
			expect(startsWith('computerDnsName', "pc'1")).toBe("startswith(computerDnsName,'pc''1')");
			expect(contains('title', "a'b")).toBe("contains(title,'a''b')");
			expect(anyEquals('machineTags', "t'1")).toBe("machineTags/any(x: x eq 't''1')");
		});

		it('ge with a datetime stays unquoted', () => {
			expect(ge('createdDateTime', dateTime('2024-05-01'))).toBe(
				'createdDateTime ge 2024-05-01T00:00:00.000Z',
			);
		});
	});

	describe('and() / or()', () => {
		it('skips empty clauses and returns undefined when nothing is left', () => {
			expect(and()).toBeUndefined();
			expect(and(undefined, '', '  ', null, false)).toBeUndefined();
			expect(and("a eq 'x'")).toBe("a eq 'x'");
		});

		it('wraps clauses with a top-level or', () => {
			expect(and("a eq 'x'", "b eq 1 or c eq 2")).toBe("a eq 'x' and (b eq 1 or c eq 2)");
			expect(and("(b eq 1 or c eq 2)", 'd eq 3')).toBe('(b eq 1 or c eq 2) and d eq 3');
			expect(and("(b eq 1) or (c eq 2)")).toBe('((b eq 1) or (c eq 2))');
			expect(and("title eq 'this or that'", 'x eq 1')).toBe("title eq 'this or that' and x eq 1");
			expect(and("title eq 'x''' or y eq 1")).toBe("(title eq 'x''' or y eq 1)");
			expect(and('a eq 1 OR b eq 2', 'c eq 3')).toBe('(a eq 1 OR b eq 2) and c eq 3');
		});

		it('refuses unbalanced raw filters', () => {
			expect(() => and('a eq 1) or (b eq 2')).toThrow(ODataInputError);
			expect(() => and("a eq 'x")).toThrow(ODataInputError);
			expect(() => and('(a eq 1')).toThrow(ODataInputError);
		});

		it('or() parenthesises multiple clauses', () => {
			expect(or()).toBeUndefined();
			expect(or('a eq 1')).toBe('a eq 1');
			expect(or('a eq 1', undefined, 'b eq 2')).toBe('(a eq 1 or b eq 2)');
		});
	});

	describe('validateRawFilter()', () => {
		it('explains problems', () => {
			expect(validateRawFilter('')).toBeUndefined();
			expect(validateRawFilter("status eq 'new' and (a eq 1 or b eq 'it''s')")).toBeUndefined();
			expect(validateRawFilter('a eq 1)')).toMatch(/no matching/);
			expect(validateRawFilter('(a eq 1')).toMatch(/not closed/);
			expect(validateRawFilter("a eq 'x")).toMatch(/string literal/);
		});
	});
});
