/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals */
/**
 * How the nodes look in the n8n editor, read from their descriptions (what n8n renders).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INodeProperties, INodePropertyCollection, INodePropertyOptions } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { MicrosoftDefenderDelegatedOAuth2Api } from '../../credentials/MicrosoftDefenderDelegatedOAuth2Api.credentials';
import { MicrosoftDefenderEntraAppApi } from '../../credentials/MicrosoftDefenderEntraAppApi.credentials';
import { MicrosoftDefenderStorageApi } from '../../credentials/MicrosoftDefenderStorageApi.credentials';
import { MicrosoftDefender } from '../../nodes/MicrosoftDefender/MicrosoftDefender.node';
import { MicrosoftDefenderStreamTrigger } from '../../nodes/MicrosoftDefender/MicrosoftDefenderStreamTrigger.node';
import { MicrosoftDefenderTrigger } from '../../nodes/MicrosoftDefender/MicrosoftDefenderTrigger.node';
import { DESTRUCTIVE_OPERATIONS, isDestructive } from '../../nodes/MicrosoftDefender/actions/operations';
import { CREDENTIAL_TYPES } from '../../nodes/MicrosoftDefender/helpers/credentialTypes';
import { AADSTS_EXPLANATIONS } from '../../nodes/MicrosoftDefender/helpers/errors';
import {
	CLOUDS,
	CONNECTION_TEST_CALLS,
	resolveEndpoints,
	type CloudName,
} from '../../nodes/MicrosoftDefender/helpers/hosts';
import { evaluateWithScope } from '../harness';
import { evaluateExpression } from '../harness/params';

type AnyProperty = INodeProperties | INodePropertyOptions | INodePropertyCollection;

/** Every property and option, nested collections included. */
function walk(properties: AnyProperty[], out: AnyProperty[] = []): AnyProperty[] {
	for (const p of properties) {
		out.push(p);
		const options = (p as INodeProperties).options ?? (p as INodePropertyCollection).values;
		if (Array.isArray(options)) walk(options as AnyProperty[], out);
	}
	return out;
}

const action = new MicrosoftDefender().description;
const trigger = new MicrosoftDefenderTrigger().description;
const everyProperty = [
	...walk(action.properties),
	...walk(trigger.properties),
	...walk(new MicrosoftDefenderStreamTrigger().description.properties),
	...walk(new MicrosoftDefenderEntraAppApi().properties),
	...walk(new MicrosoftDefenderDelegatedOAuth2Api().properties),
	...walk(new MicrosoftDefenderStorageApi().properties),
];

// The editor renders descriptions and hints as HTML: `<tenant>` is an unknown tag and vanishes.
const PLACEHOLDER_TAG = /<(?!\/?(?:a|b|i|code|br|strong|em)\b)[a-zA-Z][^<>]*>/;

describe('editor: descriptions', () => {
	it('no description or hint holds an <angle-bracket> placeholder (the editor would drop it)', () => {
		const texts = everyProperty.flatMap((p) => [
			(p as INodeProperties).description,
			(p as INodeProperties).hint,
		]);
		const bad = texts.filter((t): t is string => typeof t === 'string' && PLACEHOLDER_TAG.test(t));
		expect(bad).toEqual([]);
		const login = new MicrosoftDefenderEntraAppApi().properties.find((p) => p.name === 'customLoginUrl');
		expect(login?.description).toContain('{Login URL}/{tenant}/oauth2/v2.0/token');
	});

	it('no Entra error explanation holds an <angle-bracket> placeholder', () => {
		const bad = Object.values(AADSTS_EXPLANATIONS)
			.flatMap((e) => [e.message, e.description])
			.filter((t) => PLACEHOLDER_TAG.test(t));
		expect(bad).toEqual([]);
	});
});

describe('editor: trigger Page Size', () => {
	it('defaults to a value inside its own bounds (n8n 1.x stores min when default is out of range)', () => {
		const options = trigger.properties.find((p) => p.name === 'options');
		const pageSize = (options?.options as INodeProperties[]).find((p) => p.name === 'pageSize')!;
		const { minValue, maxValue } = pageSize.typeOptions as { minValue: number; maxValue: number };
		expect(pageSize.default).toBe(1000);
		expect(pageSize.default as number).toBeGreaterThanOrEqual(minValue);
		expect(pageSize.default as number).toBeLessThanOrEqual(maxValue);
	});
});

describe('editor: AI-agent opt-in', () => {
	const shown = (resource: string, operation: string) =>
		action.properties.some(
			(p) =>
				p.name === 'allowDestructiveForAgents' &&
				(p.displayOptions?.show?.resource ?? []).includes(resource) &&
				(p.displayOptions?.show?.operation ?? []).includes(operation),
		);
	const operations = action.properties
		.filter((p) => p.name === 'operation')
		.flatMap((p) =>
			(p.displayOptions!.show!.resource as string[]).flatMap((resource) =>
				(p.options as INodePropertyOptions[]).map((o) => ({ resource, operation: String(o.value) })),
			),
		);

	it('shows on exactly the operations the router gates, read-only ones excluded', () => {
		expect(operations.length).toBeGreaterThan(30);
		for (const { resource, operation } of operations) {
			const destructive = isDestructive(resource, operation);
			expect({ resource, operation, shown: shown(resource, operation) }).toEqual({ resource, operation, shown: destructive });
		}
		// Every gated operation exists in the description (a typo would hide the switch).
		for (const [resource, ops] of Object.entries(DESTRUCTIVE_OPERATIONS)) {
			for (const operation of ops) expect(operations).toContainEqual({ resource, operation });
		}
	});

	it('has a label short enough for the n8n 2.x parameter panel', () => {
		for (const p of action.properties.filter((q) => q.name === 'allowDestructiveForAgents')) {
			expect(p.displayName.length).toBeLessThanOrEqual(24);
			expect(p.default).toBe(false);
		}
	});
});

describe('editor: canvas subtitle', () => {
	const subtitle = (parameters: Record<string, string>) => {
		const expression = action.subtitle!;
		expect(expression.startsWith('={{') && expression.endsWith('}}')).toBe(true);
		return evaluateExpression(expression, 0, undefined, parameters) as string;
	};

	it('is Title Case from the option names', () => {
		expect(subtitle({ resource: 'alert', operation: 'getAll' })).toBe('Get Many: Alert');
		expect(subtitle({ resource: 'machine', operation: 'isolate' })).toBe('Isolate: Machine');
		expect(subtitle({ resource: 'advancedHunting', operation: 'runQuery' })).toMatch(/: Advanced Hunting$/);
	});

	it('falls back to the raw values for an unknown pair', () => {
		expect(subtitle({ resource: 'alert', operation: 'nope' })).toBe('nope: alert');
	});
});

describe('editor: option order by meaning', () => {
	it('lists Microsoft Graph (Recommended) above the retiring MDE API on every API switch', () => {
		const apis = walk(action.properties).filter((p): p is INodeProperties => (p as INodeProperties).name === 'api' && 'type' in p);
		expect(apis.length).toBeGreaterThanOrEqual(2);
		for (const p of apis) expect((p.options as INodePropertyOptions[])[0].value).toBe('graph');
	});

	it('lists severities from High to Low', () => {
		const severities = walk(action.properties)
			.filter((p): p is INodeProperties => /^severity$/i.test((p as INodeProperties).name) && 'type' in p)
			.map((p) => (p.options as INodePropertyOptions[]).map((o) => String(o.value).toLowerCase()));
		expect(severities.length).toBeGreaterThan(0);
		for (const list of severities) {
			const rank = ['critical', 'high', 'medium', 'low', 'informational', 'unknown'];
			expect(list).toEqual([...list].sort((a, b) => rank.indexOf(a) - rank.indexOf(b)));
			expect(list).toEqual(expect.arrayContaining(['high', 'low']));
		}
	});

	it('lists alert statuses in the order an alert goes through them (Get Many, Update, trigger)', () => {
		const lists = [...walk(action.properties), ...walk(trigger.properties)]
			.filter((p): p is INodeProperties => ['status', 'alertStatus'].includes((p as INodeProperties).name) && 'type' in p)
			.map((p) => (p.options as INodePropertyOptions[]).map((o) => String(o.value)))
			.filter((values) => values.includes('new'));
		expect(lists.length).toBe(3);
		for (const values of lists) expect(values.slice(0, 3)).toEqual(['new', 'inProgress', 'resolved']);
	});
});

describe('editor: operation dropdown', () => {
	it('every operation has an action and a description', () => {
		const missing = action.properties
			.filter((p) => p.name === 'operation')
			.flatMap((p) => p.options as INodePropertyOptions[])
			.filter((o) => !o.action || !o.description)
			.map((o) => String(o.value));
		expect(missing).toEqual([]);
	});
});

describe('editor: trigger subtitle', () => {
	it('shows the Event name, not its value', () => {
		const subtitle = (event: string) => evaluateExpression(trigger.subtitle!, 0, undefined, { event }) as string;
		expect(subtitle('newAlert')).toBe('New Alert');
		expect(subtitle('newOrUpdatedIncident')).toBe('New or Updated Incident');
		expect(subtitle('unknownEvent')).toBe('unknownEvent');
	});
});

describe('editor: node creator entry', () => {
	// n8n's node creator (useActionsGeneration, 1.x and 2.x) merges a trigger whose type name minus
	// "Trigger" is an action node's into ONE entry, and shows the trigger's description for it on both
	// the trigger and the actions pages.
	const merged = [trigger, new MicrosoftDefenderStreamTrigger().description]
		.filter((t) => t.name.replace('Trigger', '') === action.name)
		.map((t) => t.description);

	it('the merged Microsoft Defender entry describes its triggers and its actions', () => {
		expect(merged).toHaveLength(1);
		const [text] = merged;
		expect(text).not.toMatch(/^Starts the workflow/i);
		expect(text).toMatch(/new or updated .*alerts and incidents/i);
		expect(text).toMatch(/response actions/i);
		expect(text.length).toBeLessThanOrEqual(140);
	});
});

describe('editor: machine picker', () => {
	const locator = walk(action.properties).find((p): p is INodeProperties => (p as INodeProperties).name === 'machineId')!;

	it('mode names fit the 92 px mode selector (n8n 2.x; "By IP Address" showed as "By IP Ad")', () => {
		expect(locator.modes!.map((m) => m.displayName)).toContain('By IP');
		const locators = walk(action.properties).filter((p) => (p as INodeProperties).type === 'resourceLocator') as INodeProperties[];
		expect(locators.length).toBeGreaterThan(10);
		for (const m of locators.flatMap((p) => p.modes!.map((x) => x.displayName))) expect(m.length).toBeLessThanOrEqual(9);
	});

	it('"IP Address Seen At" and an Options collection holding only it show only in the By IP mode', () => {
		const shownFor = (p: AnyProperty) => (p as INodeProperties).displayOptions?.show?.['/machineId.mode'];
		const seenAt = walk(action.properties).filter((p) => (p as INodeProperties).name === 'ipSeenAt');
		expect(seenAt.length).toBeGreaterThan(0);
		for (const p of seenAt) expect(shownFor(p)).toEqual(['ip']);
		const onlySeenAt = action.properties.filter(
			(p) => p.type === 'collection' && (p.options as INodeProperties[]).every((o) => o.name === 'ipSeenAt'),
		);
		expect(onlySeenAt.length).toBeGreaterThanOrEqual(4);
		for (const p of onlySeenAt) expect(shownFor(p)).toEqual(['ip']);
		// n8n's own display logic reads the mode through the resource locator value.
		const at = (mode: string) =>
			NodeHelpers.displayParameter({ machineId: { __rl: true, mode, value: 'x' } }, seenAt[0] as INodeProperties, null, null);
		expect([at('ip'), at('list'), at('id'), at('name')]).toEqual([true, false, false, false]);
	});
});

describe('editor: scales from high to low', () => {
	// '' = "Any", the lowest threshold.
	const RANK = ['critical', 'high', 'medium', 'low', 'informational', 'unknown', 'none', ''];
	const scales = [...walk(action.properties), ...walk(trigger.properties)].filter(
		(p): p is INodeProperties =>
			'type' in p &&
			['options', 'multiOptions'].includes((p as INodeProperties).type) &&
			((p as INodeProperties).options as INodePropertyOptions[]).length >= 3 &&
			((p as INodeProperties).options as INodePropertyOptions[]).every((o) => RANK.includes(String(o.value).toLowerCase())),
	);

	it('every severity-like list is in rank order, or (five literal options: strict lint) its description spells the scale', () => {
		const names = scales.map((p) => p.displayName);
		expect(names).toEqual(expect.arrayContaining(['Minimum Severity', 'Risk Score', 'Exposure Level']));
		for (const p of scales) {
			const values = (p.options as INodePropertyOptions[]).map((o) => String(o.value).toLowerCase());
			const ranked = [...values].sort((a, b) => RANK.indexOf(a) - RANK.indexOf(b));
			if (values.join() === ranked.join()) continue;
			const spelled = ranked.map((v) => (p.options as INodePropertyOptions[]).find((o) => String(o.value).toLowerCase() === v)!.name).join(', ');
			expect({ name: p.displayName, description: p.description }).toEqual({ name: p.displayName, description: expect.stringContaining(spelled) });
		}
	});

	it("the trigger's Minimum Severity reads High, Medium, Low, Any (default Any)", () => {
		const min = scales.find((p) => p.name === 'minSeverity')!;
		expect((min.options as INodePropertyOptions[]).map((o) => o.name)).toEqual(['High', 'Medium', 'Low', 'Any']);
		expect(min.default).toBe('');
	});
});

describe('editor: credential form', () => {
	const entra = new MicrosoftDefenderEntraAppApi();
	const CHOICES = [...(Object.keys(CLOUDS) as CloudName[]), 'custom'] as const;
	// What n8n shows for a credential: its own display logic over the form's values.
	const shownOverrides = (cloud: string) =>
		entra.properties
			.filter((p) => /Scope Override$/.test(p.displayName))
			.filter((p) => NodeHelpers.displayParameter({ cloud }, p, null, null))
			.map((p) => p.name);

	it('shows a Scope Override only where Microsoft gives no scope (US Government MDE) and for Custom Endpoints', () => {
		expect(Object.fromEntries(CHOICES.map((c) => [c, shownOverrides(c)]))).toEqual({
			global: [],
			usGcc: ['mdeScope'],
			usGccHigh: ['mdeScope'],
			usDod: ['mdeScope'],
			custom: ['mdeScope', 'graphScope'],
		});
	});

	it('a hidden override is not applied (n8n drops hidden fields; the package ignores them too)', () => {
		const data = { cloud: 'global', mdeScope: 'https://x.example/.default', graphScope: 'https://y.example/.default' };
		const kept = NodeHelpers.getNodeParameters(entra.properties, data, false, false, null, null) ?? {};
		expect(kept.mdeScope).toBeUndefined();
		expect(resolveEndpoints(data).api.mde.scope).toBe(CLOUDS.global.api.mde.scope);
		expect(resolveEndpoints(data).api.graph.scope).toBe(CLOUDS.global.api.graph.scope);
		expect(resolveEndpoints({ ...data, cloud: 'usGccHigh' }).api.mde.scope).toBe('https://x.example/.default');
		expect(resolveEndpoints({ ...data, cloud: 'usGccHigh' }).api.graph.scope).toBe(CLOUDS.usGccHigh.api.graph.scope);
	});

	it('"Test Connection With" defaults to Microsoft Graph, like the node, and lists it first', () => {
		const testApi = entra.properties.find((p) => p.name === 'testApi')!;
		expect(testApi.default).toBe('graph');
		expect((testApi.options as INodePropertyOptions[])[0].value).toBe('graph');
		const apiSwitches = walk(action.properties).filter((p): p is INodeProperties => (p as INodeProperties).name === 'api' && 'type' in p);
		for (const p of apiSwitches) expect(p.default).toBe(testApi.default);
		// An older credential saved without the field is tested against Graph too.
		const request = entra.test.request;
		expect(evaluateWithScope(request.url as string, { $credentials: {} })).toBe(CONNECTION_TEST_CALLS.graph.path);
		expect(evaluateWithScope(request.baseURL as string, { $credentials: {} })).toBe(CLOUDS.global.api.graph.baseUrl);
	});

	it('names each cloud once: the dropdown and the error texts read the same table', () => {
		const dropdown = (entra.properties.find((p) => p.name === 'cloud')!.options as INodePropertyOptions[]).map((o) => o.name);
		const names = (Object.keys(CLOUDS) as CloudName[]).map((c) => CLOUDS[c].displayName);
		expect(dropdown).toEqual([...names, 'Custom Endpoints']);
		const delegated = new MicrosoftDefenderDelegatedOAuth2Api().properties.find((p) => p.name === 'cloud')!;
		expect((delegated.options as INodePropertyOptions[]).map((o) => o.name)).toEqual(dropdown);
		const errorTexts = Object.values(AADSTS_EXPLANATIONS).map((e) => e.description).filter((t) => /\bGCC\b|\bDoD\b|Global/.test(t));
		expect(errorTexts.length).toBeGreaterThanOrEqual(2);
		for (const text of errorTexts) {
			// Every quoted or listed cloud is one of the dropdown's names.
			const mentioned = [...text.matchAll(/"([^"]+)"/g)].map((m) => m[1]).filter((m) => /GCC|DoD/.test(m));
			for (const m of mentioned) expect(names).toContain(m);
		}
		expect(AADSTS_EXPLANATIONS[90038].description).toContain(names.join(', ').replace(/, ([^,]+)$/, ' or $1'));
	});
});

describe('credential type names', () => {
	it('are written once (helpers/credentialTypes.ts) and name the credential classes the nodes ask for', () => {
		const root = join(__dirname, '../..');
		const sources = (dir: string): string[] =>
			readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
				e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
			);
		const literal = /['"]microsoftDefender\w*Api['"]/;
		const holders = [...sources('nodes'), ...sources('credentials')].filter((f) => literal.test(readFileSync(join(root, f), 'utf8')));
		expect(holders).toEqual([join('nodes', 'MicrosoftDefender', 'helpers', 'credentialTypes.ts')]);
		const classes = [new MicrosoftDefenderEntraAppApi(), new MicrosoftDefenderDelegatedOAuth2Api(), new MicrosoftDefenderStorageApi()].map((c) => c.name);
		expect(classes.sort()).toEqual(Object.values(CREDENTIAL_TYPES).sort());
		const asked = [action, trigger, new MicrosoftDefenderStreamTrigger().description].flatMap((d) => (d.credentials ?? []).map((c) => c.name));
		for (const name of asked) expect(classes).toContain(name);
	});
});
