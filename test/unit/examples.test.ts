/* eslint-disable @n8n/community-nodes/no-restricted-imports */
// The example workflows must only use parameters the nodes really have, so a renamed parameter
// cannot silently break the README's examples and the demo.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { INodeProperties, INodePropertyCollection, INodeTypeDescription } from 'n8n-workflow';

import { MicrosoftDefender } from '../../nodes/MicrosoftDefender/MicrosoftDefender.node';
import { MicrosoftDefenderTrigger } from '../../nodes/MicrosoftDefender/MicrosoftDefenderTrigger.node';
import { MicrosoftDefenderStreamTrigger } from '../../nodes/MicrosoftDefender/MicrosoftDefenderStreamTrigger.node';

const PACKAGE = 'n8n-nodes-microsoft-defender';
const dir = 'examples';
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

interface WorkflowNode {
	name: string;
	type: string;
	parameters: Record<string, unknown>;
	credentials?: Record<string, unknown>;
}

function visible(prop: INodeProperties, params: Record<string, unknown>): boolean {
	const show = prop.displayOptions?.show ?? {};
	return Object.entries(show).every(([key, allowed]) => {
		if (key.startsWith('@')) return true;
		const value = key in params ? params[key] : undefined;
		return value === undefined ? true : (allowed as unknown[]).includes(value);
	});
}

function checkNode(description: INodeTypeDescription, node: WorkflowNode): string[] {
	const problems: string[] = [];
	const props = description.properties.filter((p) => visible(p, node.parameters));
	for (const [name, value] of Object.entries(node.parameters)) {
		if (name === 'pollTimes' && description.polling) continue;
		const prop = props.find((p) => p.name === name);
		if (!prop) {
			problems.push(`${node.name}: no visible parameter "${name}"`);
			continue;
		}
		if (prop.type === 'options' && typeof value === 'string' && !value.startsWith('=')) {
			const values = (prop.options ?? []).map((o) => (o as { value: unknown }).value);
			if (!values.includes(value)) problems.push(`${node.name}: "${name}" has no option "${value}"`);
		}
		if ((prop.type === 'collection' || prop.type === 'fixedCollection') && value && typeof value === 'object') {
			const inner = (prop.options ?? []) as Array<INodeProperties | INodePropertyCollection>;
			for (const key of Object.keys(value as object)) {
				if (!inner.some((o) => o.name === key)) problems.push(`${node.name}: "${name}" has no field "${key}"`);
			}
		}
	}
	if (!node.credentials?.microsoftDefenderEntraAppApi && !node.credentials?.microsoftDefenderStorageApi) {
		problems.push(`${node.name}: no Defender credential`);
	}
	return problems;
}

describe('example workflows', () => {
	const action = new MicrosoftDefender().description;
	const trigger = new MicrosoftDefenderTrigger().description;
	const streamTrigger = new MicrosoftDefenderStreamTrigger().description;

	it('exist', () => {
		expect(files.length).toBeGreaterThanOrEqual(4);
	});

	it.each(files)('%s uses only real parameters of our nodes', (file) => {
		const wf = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { id: string; nodes: WorkflowNode[] };
		expect(wf.id).toMatch(/^[A-Za-z0-9]{1,36}$/);
		const ours = wf.nodes.filter((n) => n.type.startsWith(`${PACKAGE}.`));
		expect(ours.length).toBeGreaterThan(0);
		const problems = ours.flatMap((n) => {
			const type = n.type.slice(PACKAGE.length + 1);
			if (type === 'microsoftDefender' || type === 'microsoftDefenderTool') return checkNode(action, n);
			if (type === 'microsoftDefenderTrigger') return checkNode(trigger, n);
			if (type === 'microsoftDefenderStreamTrigger') return checkNode(streamTrigger, n);
			return [`${n.name}: unknown node type ${n.type}`];
		});
		expect(problems).toEqual([]);
	});

	it('machine actions are polled every 10 to 30 seconds, never every second (each check is one API call)', () => {
		const waits = files.flatMap((file) => {
			const wf = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: WorkflowNode[] };
			return wf.nodes
				.filter((n) => n.parameters.waitForCompletion === true)
				.map((n) => ({ where: `${file}: ${n.name}`, interval: n.parameters.pollInterval ?? 15, timeout: n.parameters.waitTimeout ?? 600 }));
		});
		expect(waits.length).toBeGreaterThan(0);
		for (const w of waits) {
			expect({ ...w, ok: typeof w.interval === 'number' && w.interval >= 10 && w.interval <= 30 }).toEqual({ ...w, ok: true });
			expect(Number(w.timeout)).toBeGreaterThan(Number(w.interval));
		}
	});
});
