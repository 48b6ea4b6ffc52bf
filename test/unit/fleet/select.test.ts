import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {MultusError} from '../../../source/errors.js';
import {contextPatterns, globMatches, selectContexts} from '../../../source/fleet/select.js';
import {contextFileName} from '../../../source/fleet/run.js';

const contexts = ['edge-1', 'edge-2', 'prod', 'admin@prod.example', 'edge-10'].map(name => ({name, cluster: name, server: `https://${name}`, user: 'u'}));
const names = (selected: Array<{name: string}>) => selected.map(context => context.name);
const usage = (error: unknown) => error instanceof MultusError && error.kind === 'Usage';

describe('fleet: which contexts', () => {
	test('globs: * any run, ? one character, everything else itself (a dot is a dot)', () => {
		assert.ok(globMatches('edge-*', 'edge-10'));
		assert.ok(globMatches('edge-?', 'edge-1'));
		assert.ok(!globMatches('edge-?', 'edge-10'));
		assert.ok(globMatches('admin@prod.example', 'admin@prod.example'));
		assert.ok(!globMatches('admin@prod.example', 'admin@prodXexample'));
		assert.ok(globMatches('*', ''));
		assert.ok(!globMatches('prod', 'production'));
	});

	test('--contexts: in the kubeconfig order, each once; --all-contexts: all of them', () => {
		assert.deepEqual(names(selectContexts(contexts, {patterns: ['prod', 'edge-*', 'edge-1']}, 'test')), ['edge-1', 'edge-2', 'prod', 'edge-10']);
		assert.deepEqual(names(selectContexts(contexts, {all: true}, 'test')), names(contexts));
	});

	test('a name or glob that matches nothing is a usage error naming it and the contexts there are', () => {
		assert.throws(() => selectContexts(contexts, {patterns: ['edge-*', 'staging']}, 'KUBECONFIG=a:b'), (error: unknown) => usage(error) && /"staging" matches no context in KUBECONFIG=a:b/.test((error as Error).message) && /edge-1, edge-2/.test((error as MultusError).hint ?? ''));
		assert.throws(() => selectContexts([], {all: true}, 'x'), usage);
		assert.throws(() => contextPatterns(' , '), usage);
		assert.deepEqual(contextPatterns('a, b*,,c'), ['a', 'b*', 'c']);
	});

	test('--emit-dir file names: safe, never hidden, never the same twice', () => {
		const taken = new Set<string>();
		assert.equal(contextFileName('admin@prod/eu:1', taken), 'admin_prod_eu_1');
		assert.equal(contextFileName('admin@prod:eu/1', taken), 'admin_prod_eu_1-2');
		assert.equal(contextFileName('..', taken), '_.');
		assert.equal(contextFileName('', taken), '_');
		// Case-insensitive file systems (macOS, Windows) would make these one file; Windows devices are no files.
		assert.equal(contextFileName('Prod', taken), 'Prod');
		assert.equal(contextFileName('prod', taken), 'prod-2');
		assert.equal(contextFileName('con', taken), '_con');
		assert.equal(contextFileName('LPT1.eu', taken), '_LPT1.eu');
		assert.equal(contextFileName('console', taken), 'console');
	});
});
