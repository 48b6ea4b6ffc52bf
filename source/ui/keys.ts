import type {Key} from 'ink';

// Every key the doctor answers to, in one map; components and hooks ask this module, never compare keys themselves.

export type Command = 'interrupt' | 'confirm-yes' | 'confirm-no' | 'toggle-details';

/** Where the user is: what the keys mean depends on it. */
export type KeyContext = 'running' | 'confirm';

interface Binding {
	/** The typed character, exactly (case matters: y and Y are listed apart). */
	input?: string;
	ctrl?: boolean;
	/** A named key Ink reports as a flag. */
	special?: 'return' | 'escape';
}

export const keyBindings: Record<Command, Binding[]> = {
	interrupt: [{input: 'c', ctrl: true}],
	'confirm-yes': [{input: 'y'}, {input: 'Y'}],
	'confirm-no': [{input: 'n'}, {input: 'N'}, {special: 'return'}, {special: 'escape'}],
	'toggle-details': [{input: 'd'}],
};

const commandsIn: Record<KeyContext, Command[]> = {
	running: ['interrupt'],
	confirm: ['interrupt', 'confirm-yes', 'confirm-no', 'toggle-details'],
};

/** Within this time a second Ctrl-C quits at once instead of waiting for the cancelled step. */
export const interruptWindowMs = 2000;

function matches(binding: Binding, input: string, key: Key): boolean {
	if (binding.special) return key[binding.special];
	return input === binding.input && Boolean(binding.ctrl) === key.ctrl && !key.meta;
}

/** The command a key press means in `context`, if any. */
export function commandFor(input: string, key: Key, context: KeyContext): Command | undefined {
	return commandsIn[context].find(command => keyBindings[command].some(binding => matches(binding, input, key)));
}

/** The one-line key help shown under the steps. */
export const keyHints: Record<KeyContext, string> = {
	running: 'Ctrl-C cancel',
	confirm: 'y apply · n, Enter or Esc decline · d show or hide the JSON patch · Ctrl-C cancel',
};

/**
 * The question's key help. With the plan printed above it (a short terminal), d prints the JSON patch and the
 * YAML there, once, instead of toggling them beside the question; once printed the key has nothing left to do.
 */
export function confirmKeyHint(layout: {planAbove: boolean; patchAbove: boolean}): string {
	if (!layout.planAbove) return keyHints.confirm;
	if (layout.patchAbove) return 'y apply · n, Enter or Esc decline · Ctrl-C cancel (the JSON patch is printed above)';
	return 'y apply · n, Enter or Esc decline · d print the JSON patch above · Ctrl-C cancel';
}

/** The fleet's key help: its one question covers every listed cluster. */
export const fleetKeyHints = {
	running: 'Ctrl-C cancel every cluster',
	confirm: 'y apply to every cluster listed · n, Enter or Esc decline · Ctrl-C cancel',
} as const;
