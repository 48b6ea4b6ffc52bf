// The kubeconfig merged from several KUBECONFIG files as kubectl merges it: the first file to name a cluster, user
// or context wins, and the first file's current-context (kubectl's "first file to set a key wins" rule).
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {kubeconfigContexts, mergedKubeConfig} from '../../../source/kube/config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kubeconfig-merge-'));
after(() => rmSync(dir, {recursive: true, force: true}));

function file(name: string, server: string, token: string, extra: {context?: string; current?: string} = {}): string {
	const where = path.join(dir, name);
	const context = extra.context ?? 'prod';
	writeFileSync(where, JSON.stringify({
		apiVersion: 'v1',
		kind: 'Config',
		clusters: [{name: 'prod', cluster: {server}}],
		users: [{name: 'prod', user: {token}}],
		contexts: [{name: context, context: {cluster: 'prod', user: 'prod'}}],
		...(extra.current === undefined ? {} : {'current-context': extra.current}),
	}));
	return where;
}

function withKubeconfig<T>(files: string[], run: () => T): T {
	const saved = process.env['KUBECONFIG'];
	process.env['KUBECONFIG'] = files.join(path.delimiter);
	try {
		return run();
	} finally {
		if (saved === undefined) delete process.env['KUBECONFIG'];
		else process.env['KUBECONFIG'] = saved;
	}
}

describe('KUBECONFIG with several files', () => {
	test('the first file to name a cluster, user or context wins: the same name in a later file is not the one used', () => {
		const a = file('a.yaml', 'https://a.invalid:1111', 'token-a', {current: 'prod'});
		const b = file('b.yaml', 'https://b.invalid:2222', 'token-b', {current: 'other'});
		for (const order of [[a, b], [b, a]]) {
			const first = order[0] === a ? {server: 'https://a.invalid:1111', token: 'token-a', current: 'prod'} : {server: 'https://b.invalid:2222', token: 'token-b', current: 'other'};
			const {kc} = withKubeconfig(order, () => mergedKubeConfig({kubeconfig: undefined}));
			assert.equal(kc.getCluster('prod')?.server, first.server);
			assert.equal(kc.getUser('prod')?.token, first.token);
			assert.equal(kc.getCurrentContext(), first.current);
			assert.equal(kc.clusters.length, 1);
			const {contexts} = withKubeconfig(order, () => kubeconfigContexts({kubeconfig: undefined}));
			assert.deepEqual(contexts.map(context => [context.name, context.server]), [['prod', first.server]]);
		}
	});

	test('names only one file has are all there, in the files\' order; current-context from the first file that sets one', () => {
		const a = file('c.yaml', 'https://c.invalid:1', 'c', {context: 'edge'});
		const b = file('d.yaml', 'https://d.invalid:2', 'd', {current: 'prod'});
		const {kc} = withKubeconfig([a, b], () => mergedKubeConfig({kubeconfig: undefined}));
		assert.deepEqual(kc.contexts.map(context => context.name), ['edge', 'prod']);
		assert.equal(kc.getCurrentContext(), 'prod');
		// Both files call their cluster "prod": the first one's, as kubectl does.
		assert.equal(kc.getCluster('prod')?.server, 'https://c.invalid:1');
	});
});
