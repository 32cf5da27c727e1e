/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * The node classes. tsx resolves `…/MicrosoftDefender.node` to the codex file
 * `MicrosoftDefender.node.json` (it tries `.json` before `.ts` for a name that already has an
 * extension), so the TypeScript files are required by their full names; the types come from
 * the usual imports.
 */
import type * as ActionModule from '../nodes/MicrosoftDefender/MicrosoftDefender.node';
import type * as TriggerModule from '../nodes/MicrosoftDefender/MicrosoftDefenderTrigger.node';
import type * as StreamTriggerModule from '../nodes/MicrosoftDefender/MicrosoftDefenderStreamTrigger.node';

export const { MicrosoftDefender } =
	require('../nodes/MicrosoftDefender/MicrosoftDefender.node.ts') as typeof ActionModule;
export const { MicrosoftDefenderTrigger } =
	require('../nodes/MicrosoftDefender/MicrosoftDefenderTrigger.node.ts') as typeof TriggerModule;
export const { MicrosoftDefenderStreamTrigger } =
	require('../nodes/MicrosoftDefender/MicrosoftDefenderStreamTrigger.node.ts') as typeof StreamTriggerModule;
