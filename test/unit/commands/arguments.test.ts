// Reading the command line (source/arguments.ts): what is refused, and how it is said (issue #12, item 10).
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {parseArguments, refuseCombinations} from '../../../source/arguments.js';

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

	test('--dry-run VALUE with a space: the value is an operand, as in kubectl; the hint says to write it with =', async () => {
		for (const value of ['server', 'client', 'none']) {
			await assert.rejects(parseArguments(['doctor', '--dry-run', value, '--check']), {
				kind: 'Usage',
				message: `unexpected argument "${value}"`,
				hint: `write --dry-run=${value}: --dry-run takes its value after = (bare --dry-run means client), as in kubectl`,
			});
		}
		await assert.rejects(parseArguments(['undo', '--dry-run', 'server']), {hint: /^write --dry-run=server:/});
		assert.deepEqual((await parseArguments(['doctor', '--dry-run', '--check'])).values.dryRun, 'client');
		assert.deepEqual((await parseArguments(['doctor', '--dry-run=server'])).operands, []);
	});

	test('after --, words are operands', async () => {
		assert.deepEqual((await parseArguments(['scan', '--', '--weird.log'])).operands, ['--weird.log']);
	});
});

const piped = 'stdin and stdout are not both a terminal';

/** The refusal of the combination in `argv` (noTerminal: why the run asks nothing, undefined in a terminal), as [problem, fix], or undefined when it is taken. */
async function combination(argv: string[], noTerminal: string | undefined): Promise<[string, string] | undefined> {
	const {command, values, given} = await parseArguments(argv);
	try {
		refuseCombinations({command: command!, values, given, noTerminal});
	} catch (error) {
		assert.equal((error as {kind?: string}).kind, 'Usage', String(error));
		return [(error as Error).message, (error as {hint: string}).hint];
	}
	return undefined;
}

describe('flag combinations that contradict, or whose effect would not come, are refused once for the run', () => {
	test('--confirm-each with --yes contradicts it', async () => {
		assert.deepEqual(await combination(['doctor', '--all-contexts', '--confirm-each', '--yes'], undefined), [
			'--confirm-each and --yes contradict each other',
			'use --confirm-each to be asked for each cluster, or --yes to fix every cluster without asking',
		]);
	});

	test('--confirm-each, --force and --no-restart with a run that changes nothing', async () => {
		for (const [argv, problem, fix] of [
			[['--all-contexts', '--confirm-each', '--check'], '--confirm-each only matters when fixing, and --check changes nothing', 'leave out --confirm-each, or leave out --check to fix'],
			[['--all-contexts', '--dry-run', '--force', '--confirm-each'], '--confirm-each only matters when fixing, and --dry-run changes nothing', 'leave out --confirm-each, or leave out --dry-run to fix'],
			[['--all-contexts', '--confirm-each', '--emit', 'patch', '--emit-dir', 'out'], '--confirm-each only matters when fixing, and --emit changes nothing', 'leave out --confirm-each, or leave out --emit to fix'],
			[['--check', '--force'], '--force only matters when fixing, and --check changes nothing', 'leave out --force, or leave out --check to fix'],
			[['--check', '--no-restart'], '--no-restart only matters when fixing, and --check changes nothing', 'leave out --no-restart, or leave out --check to fix'],
			[['--emit', 'manifest', '--force'], '--force only matters when fixing, and --emit changes nothing', 'leave out --force, or leave out --emit to fix'],
			[['--emit', 'manifest', '--no-restart'], '--no-restart only matters when fixing, and --emit changes nothing', 'leave out --no-restart, or leave out --emit to fix'],
		] as const) {
			assert.deepEqual(await combination(['doctor', ...argv], undefined), [problem, fix], argv.join(' '));
		}
	});

	test('--check with --dry-run: the dry run would not come (--check stops at the plan), so it is refused, saying which to leave out', async () => {
		assert.deepEqual(await combination(['doctor', '--check', '--dry-run=server'], undefined), [
			'--check never writes, not even a dry run: with it --dry-run=server would send nothing to the API server',
			'leave out --check to dry-run the fix against the API server (--dry-run=server: nothing is stored), or leave out --dry-run=server to only diagnose',
		]);
		for (const argv of [['--dry-run', '--check'], ['--check', '--dry-run=client', '-o', 'json'], ['--all-contexts', '--check', '--dry-run=client']]) {
			assert.deepEqual(await combination(['doctor', ...argv], piped), [
				'--check only diagnoses: with it --dry-run=client would not preview the fix (no permission checks, no dry-run outcome)',
				'leave out --check to dry-run the fix (--dry-run=client: nothing is stored), or leave out --dry-run=client to only diagnose',
			], argv.join(' '));
		}
		// Each alone is taken; for undo the two mean the same (show what would be restored).
		for (const argv of [['doctor', '--dry-run=server'], ['doctor', '--check'], ['doctor', '--check=false', '--dry-run=server'], ['undo', '--check', '--dry-run']]) {
			assert.equal(await combination(argv, undefined), undefined, argv.join(' '));
		}
	});

	test('--confirm-each where nothing can be asked: the reason named, and what to use instead', async () => {
		for (const [argv, reason] of [
			[['--all-contexts', '--confirm-each'], piped],
			[['--all-contexts', '--confirm-each', '-o', 'json'], '-o json'],
			[['--contexts', 'edge-*', '--confirm-each'], 'CI=true'],
		] as const) {
			assert.deepEqual(await combination(['doctor', ...argv], reason), [
				`--confirm-each asks in the terminal view, and this run has none (${reason}): nothing would be asked`,
				'run it in a terminal to be asked for each cluster; without one, --yes fixes every cluster without asking, and --check only diagnoses',
			]);
		}
		assert.equal(await combination(['doctor', '--all-contexts', '--confirm-each'], undefined), undefined);
	});

	test('--as-group without --as, for every command that connects', async () => {
		for (const command of ['doctor', 'report', 'undo']) {
			assert.deepEqual(await combination([command, '--as-group', 'g'], piped), ['--as-group needs --as', 'kubectl also requires --as when impersonating groups'], command);
		}
		assert.deepEqual(await combination(['doctor', '--all-contexts', '--as-group', 'g', '--check'], piped), ['--as-group needs --as', 'kubectl also requires --as when impersonating groups']);
		assert.equal(await combination(['doctor', '--as', 'alice', '--as-group', 'g'], piped), undefined);
	});

	test('what only idles in a mode stays accepted, as in kubectl; what matters in it too', async () => {
		for (const argv of [
			['doctor', '--check', '--timeout', '1m'],
			['doctor', '--dry-run', '--force'],
			['doctor', '--all-contexts', '--dry-run', '--force', '--no-restart'],
			['doctor', '--dry-run=server', '--no-restart'],
			['doctor', '--check', '--emit', 'patch'],
			['undo', '--check', '--force'],
			['doctor', '--all-contexts', '--check', '--parallel', '3'],
			['doctor', '--check=false', '--force', '--yes'],
		]) {
			assert.equal(await combination(argv, undefined), undefined, argv.join(' '));
		}
	});
});
