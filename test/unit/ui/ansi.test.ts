import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import fc from 'fast-check';
import {renderLine, terminalSafe} from '../../../source/ansi.js';
import {findLines, planLines} from '../../../source/doctor/present.js';
import {planRolePatch} from '../../../source/multus/rbac.js';
import {blockingRules} from '../../../source/multus/requirements.js';
import type {Found, Plan} from '../../../source/doctor/model.js';

const osc = '\u001B]2;pwned\u0007';
const clear = '\u001B[2J\u001B[H';

/** Any character a terminal would act on or hide: what must never come out of terminalSafe. */
const unsafe = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\u034F\uFE00-\uFE0F\u{E0000}-\u{E0FFF}]/u;

/** Letters, marks, digits, punctuation, symbols, spaces, tab and newline: text that must pass unchanged. */
const visible = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}\t\n]*$/u;

describe('terminalSafe', () => {
	test('escape sequences are shown, not acted on', () => {
		assert.equal(terminalSafe(`multus${osc}`), 'multus\\x1b]2;pwned\\x07');
		assert.equal(terminalSafe(clear), '\\x1b[2J\\x1b[H');
		assert.equal(terminalSafe('a\rb'), 'a\\x0db', 'a carriage return would overwrite the line');
		assert.equal(terminalSafe('\u009B2J'), '\\x9b2J', 'the one-byte CSI (C1)');
		assert.equal(terminalSafe('\u007F'), '\\x7f');
	});

	test('bidi and invisible characters are shown', () => {
		assert.equal(terminalSafe('multus\u202Esd-ek'), 'multus\\u202esd-ek');
		assert.equal(terminalSafe('mul\u200Btus'), 'mul\\u200btus');
		assert.equal(terminalSafe('\u2066x\u2069'), '\\u2066x\\u2069');
		assert.equal(terminalSafe('\uFEFFmultus'), '\\ufeffmultus');
		assert.equal(terminalSafe('a\u00ADb'), 'a\\xadb');
		assert.equal(terminalSafe('tag\u{E0041}'), 'tag\\u{e0041}');
		assert.equal(terminalSafe('\u3164'), '\\u3164');
		assert.equal(terminalSafe('a\u2028b'), 'a\\u2028b');
	});

	test('ordinary text, tabs and newlines are kept as they are (the same string)', () => {
		for (const text of ['pods [""]: list, watch', '✔ Fixed: … → ·', 'Müller 節点', 'a\tb\nc', 'path\\x1b literal', '']) assert.equal(terminalSafe(text), text);
	});

	test('property: nothing unsafe comes out, safe text is unchanged, and it is idempotent', () => {
		fc.assert(
			fc.property(fc.string({unit: 'binary'}), text => {
				const safe = terminalSafe(text);
				assert.doesNotMatch(safe, unsafe);
				assert.equal(terminalSafe(safe), safe);
				if (visible.test(text) && !/\p{Default_Ignorable_Code_Point}/u.test(text)) assert.equal(safe, text);
			}),
			{numRuns: 2000},
		);
	});
});

describe('renderLine: the plain doctor\'s lines', () => {
	test('our colours stay, text from outside is escaped', () => {
		assert.equal(renderLine([{text: 'ClusterRole '}, {text: `multus${osc}`, style: 'bold'}], true), 'ClusterRole \u001B[1mmultus\\x1b]2;pwned\\x07\u001B[22m');
		assert.equal(renderLine([{text: `multus${osc}`, style: 'bold'}], false), 'multus\\x1b]2;pwned\\x07');
	});

	test('role, binding and rule names from the cluster reach the plain output escaped (issue 12, item 3)', () => {
		const role = `multus${osc}`;
		const rules = [{apiGroups: [''], resources: [`pods${clear}`], verbs: ['get\u202E']}];
		const found = {
			daemonSet: {namespace: 'kube-system', name: `kube-multus-ds${osc}`, mode: 'thick', container: 'kube-multus', image: `multus:${clear}`, version: undefined, serviceAccount: 'multus', evidence: ['image x'], perNodeCertificates: false, daemonLog: {startupLines: 'unknown'}},
			desired: 1,
			ready: 1,
			selector: 'name=multus',
			identity: {user: 'system:serviceaccount:kube-system:multus', groups: []},
			roles: [{name: role, rules, resourceVersion: '1', owner: undefined, autoupdateDisabled: false, grants: [{binding: `bind${osc}`, role, via: 'ServiceAccount kube-system:multus', shared: false}]}],
			lookalikeBindings: [`ClusterRoleBinding x${osc} binds y to ServiceAccount a:b, not c:d`],
			daemonSetOwner: undefined,
		} as unknown as Found;
		const patch = planRolePatch(rules, blockingRules('thick'), '1');
		const plan = {role, resourceVersion: '1', patch, owner: undefined, autoupdateDisabled: false, blocked: undefined, reconcileYaml: '', manifestYaml: '', operations: patch.jsonPatch, permissions: [], serverDryRun: 'skipped', gains: [`ServiceAccount kube-system:multus (ClusterRoleBinding bind${osc})`]} as unknown as Plan;
		const diagnosis = {rules: {requirements: [], missing: patch.missing, advisoryMissing: []}} as never;
		const text = [...findLines(found), ...planLines(plan, diagnosis)].map(line => renderLine(line, true)).join('\n');
		// Our own colours are SGR sequences; nothing else may start with ESC, and no BEL, no bidi override.
		assert.doesNotMatch(text.replace(/\u001B\[\d+m/g, ''), unsafe);
		assert.match(text, /multus\\x1b\]2;pwned\\x07/);
		assert.match(text, /bind\\x1b\]2;pwned\\x07/);
		assert.match(text, /pods\\x1b\[2J\\x1b\[H/);
		assert.match(text, /get\\u202e/);
	});
});
