// Reading the command line (source/arguments.ts): what is refused, and how it is said (issue #12, item 10).
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {parseArguments} from '../../../source/arguments.js';

async function refusal(argv: string[]): Promise<string> {
	try {
		await parseArguments(argv);
	} catch (error) {
		assert.equal((error as {kind?: string}).kind, 'Usage', String(error));
		return (error as Error).message;
	}
	assert.fail(`accepted: ${argv.join(' ')}`);
}

describe('flag values that cannot be honoured are usage errors, named', () => {
	test('a negative duration is said to be one, after a space or an =', async () => {
		assert.equal(await refusal(['doctor', '--request-timeout', '-3s']), 'invalid --request-timeout "-3s": a negative duration');
		assert.equal(await refusal(['doctor', '--timeout=-1m']), 'invalid --timeout "-1m": a negative duration');
	});

	test('a flag that needs a value and has none: trailing, or short', async () => {
		assert.equal(await refusal(['doctor', '--check', '--timeout']), '--timeout needs a value');
		assert.equal(await refusal(['doctor', '--timeout', '--check']), '--timeout needs a value, not the flag --check');
		assert.equal(await refusal(['doctor', '-o']), '-o needs a value');
		assert.equal(await refusal(['scan', '-', '--output']), '--output needs a value');
	});

	test('byte counts and counts: decimal digits only, at least 1, exactly representable', async () => {
		for (const text of ['1e3', '0x10', '0b11', '1.5', ' 12', '12 ', '+5', '', 'Infinity', '256Ki']) {
			assert.match(await refusal(['doctor', '--log-bytes', text]), /^invalid --log-bytes/, JSON.stringify(text));
		}
		assert.match(await refusal(['doctor', '--log-bytes', '0']), /^invalid --log-bytes 0/);
		assert.match(await refusal(['doctor', '--log-bytes', '9007199254740993']), /more than 9007199254740991/);
		assert.match(await refusal(['doctor', '--log-pods', '1e1']), /^invalid --log-pods "1e1"/);
		assert.equal((await parseArguments(['doctor', '--log-bytes', '65536'])).values.logBytes, 65_536);
	});

	test('names the API server would refuse: a namespace, a DaemonSet', async () => {
		for (const namespace of ['Kube-System', 'kube_system', '-x', 'a'.repeat(64), 'a.b', '']) {
			assert.match(await refusal(['doctor', '-n', namespace]), /not a namespace name/, namespace);
		}
		for (const name of ['Multus', 'multus ds', 'multus/ds', 'a'.repeat(254), '']) {
			assert.match(await refusal(['doctor', '--daemonset', name]), /not a Kubernetes object name/, name);
		}
		assert.equal((await parseArguments(['doctor', '-n', 'kube-system', '--daemonset', 'kube-multus-ds.v2'])).values.daemonset, 'kube-multus-ds.v2');
	});

	test('impersonation that cannot be sent as a header', async () => {
		assert.match(await refusal(['doctor', '--as', 'alice\nX-Evil: 1']), /^invalid --as "alice\\nX-Evil: 1"/);
		assert.match(await refusal(['doctor', '--as', 'zoë']), /^invalid --as/);
		assert.match(await refusal(['doctor', '--as', 'x', '--as-group', '']), /^invalid --as-group/);
		assert.equal(await refusal(['doctor', '--as', 'x', '--as-group', 'a', '--as-group', 'b']), '--as-group is given more than once');
		assert.equal((await parseArguments(['doctor', '--as', 'system:serviceaccount:kube-system:multus'])).values.as, 'system:serviceaccount:kube-system:multus');
	});

	test('choices and booleans', async () => {
		assert.equal(await refusal(['doctor', '-o', 'xml']), 'invalid --output "xml"');
		assert.equal(await refusal(['doctor', '--dry-run=maybe']), 'invalid --dry-run "maybe"');
		assert.equal(await refusal(['doctor', '--check=maybe']), 'invalid --check=maybe');
		assert.equal(await refusal(['doctor', '--no-restart=1']), '--no-restart takes no value');
		assert.match(await refusal(['doctor', '-yes']), /^-y takes no value/);
		assert.equal((await parseArguments(['doctor', '--check=false'])).values.check, false);
	});

	test('unknown flags and commands, and flags without a command, as our own usage errors', async () => {
		assert.equal(await refusal(['doctor', '--bogus']), 'unknown flag --bogus');
		assert.equal(await refusal(['doctor', '-x']), 'unknown flag -x');
		assert.equal(await refusal(['bogus']), 'unknown command "bogus"');
		assert.equal(await refusal(['--check']), '--check needs a command');
	});

	test('--version without a command is the version command (with its flags); after another command it is refused', async () => {
		assert.equal((await parseArguments(['--version'])).command, 'version');
		const json = await parseArguments(['--version', '-o', 'json']);
		assert.equal(json.command, 'version');
		assert.equal(json.values.output, 'json');
		assert.equal(await refusal(['doctor', '--version']), '--version is not a flag of kubectl multus doctor');
		assert.equal((await parseArguments(['--version', '--help'])).values.help, true);
	});

	test('after --, words are operands', async () => {
		assert.deepEqual((await parseArguments(['scan', '--', '--weird.log'])).operands, ['--weird.log']);
	});
});
