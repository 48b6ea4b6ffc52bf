import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1ClusterRole, V1PolicyRule} from '@kubernetes/client-node';
import {
	aggregationSources,
	applyPlan,
	breakdownRule,
	describeRule,
	extraRules,
	missingRules,
	planRolePatch,
	ruleCovers,
	rulesCover,
} from '../../../source/multus/rbac.js';
import {blockingRules, requiredRules} from '../../../source/multus/requirements.js';
import {resolveRelease} from '../../../source/multus/versions.js';

const podsListWatch: V1PolicyRule = {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']};
// A tagged release with informers (master adds DRA reads, which these manifests predate).
const v43 = resolveRelease('ghcr.io/k8snetworkplumbingwg/multus-cni:v4.3.0-thick').release;
const thickBlocking = blockingRules('thick', v43);
// The algorithm tests below need one thing, as the doctor did before NADs were blocking: pods list and watch.
const podsNeed = [podsListWatch];
const thickAll = requiredRules('thick', v43).map(requirement => requirement.rule);

// ClusterRole rules as shipped (multus-facts §1 and §4).
const nadsAll: V1PolicyRule = {apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['*']};
const upstreamEvents: V1PolicyRule = {
	apiGroups: ['', 'events.k8s.io'],
	resources: ['events'],
	verbs: ['create', 'patch', 'update'],
};
const upstreamThickV402: V1PolicyRule[] = [
	nadsAll,
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']},
	upstreamEvents,
];
const upstreamThickV41: V1PolicyRule[] = [
	nadsAll,
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'list', 'update', 'watch']},
	upstreamEvents,
];
const rke2Before: V1PolicyRule[] = [
	nadsAll,
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']},
	{apiGroups: [''], resources: ['events'], verbs: ['create']},
];
const rke2After: V1PolicyRule[] = [
	nadsAll,
	{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'list', 'update', 'watch']},
	{apiGroups: [''], resources: ['events'], verbs: ['create']},
];
const openshift: V1PolicyRule[] = [
	{apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['get', 'list', 'watch']},
	{apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch']},
	{apiGroups: [''], resources: ['pods/status'], verbs: ['get', 'list', 'watch', 'patch', 'update']},
	{apiGroups: [''], resources: ['nodes'], verbs: ['get']},
	{apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch']},
	{apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch']},
	{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update']},
	{
		apiGroups: ['certificates.k8s.io'],
		resources: ['certificatesigningrequests'],
		verbs: ['create', 'get', 'list', 'watch'],
	},
];

describe('ruleCovers', () => {
	const get = (resource: string, group = ''): V1PolicyRule => ({apiGroups: [group], resources: [resource], verbs: ['get']});

	test('exact match and verb subset', () => {
		const owner: V1PolicyRule = {apiGroups: [''], resources: ['pods'], verbs: ['get', 'list']};
		assert.equal(ruleCovers(owner, get('pods')), true);
		assert.equal(ruleCovers(owner, {apiGroups: [''], resources: ['pods'], verbs: ['get', 'list']}), true);
		assert.equal(ruleCovers(owner, podsListWatch), false);
		assert.equal(ruleCovers(owner, get('pods', 'apps')), false);
		assert.equal(ruleCovers(owner, get('services')), false);
	});

	test('wildcards for verbs, groups and resources', () => {
		assert.equal(ruleCovers({apiGroups: [''], resources: ['pods'], verbs: ['*']}, podsListWatch), true);
		assert.equal(ruleCovers({apiGroups: ['*'], resources: ['pods'], verbs: ['get']}, get('pods', 'apps')), true);
		assert.equal(ruleCovers({apiGroups: [''], resources: ['*'], verbs: ['get']}, get('pods/status')), true);
		assert.equal(ruleCovers({apiGroups: ['*'], resources: ['*'], verbs: ['*']}, podsListWatch), true);
		// A wildcard in the request is a literal: only a wildcard grants it.
		assert.equal(ruleCovers({apiGroups: [''], resources: ['pods'], verbs: ['get']}, get('*')), false);
		assert.equal(ruleCovers({apiGroups: [''], resources: ['pods'], verbs: ['get']}, {...get('pods'), verbs: ['*']}), false);
	});

	test('subresources: resource/subresource is separate; */status grants every status subresource', () => {
		assert.equal(ruleCovers({apiGroups: [''], resources: ['pods'], verbs: ['get']}, get('pods/status')), false);
		assert.equal(ruleCovers({apiGroups: [''], resources: ['pods/status'], verbs: ['get']}, get('pods')), false);
		assert.equal(ruleCovers({apiGroups: [''], resources: ['*/status'], verbs: ['get']}, get('pods/status')), true);
		assert.equal(ruleCovers({apiGroups: [''], resources: ['*/status'], verbs: ['get']}, get('nodes/status')), true);
		assert.equal(ruleCovers({apiGroups: [''], resources: ['*/status'], verbs: ['get']}, get('pods')), false);
		assert.equal(ruleCovers({apiGroups: [''], resources: ['*/status'], verbs: ['get']}, get('pods/log')), false);
	});

	test('resourceNames: a named rule grants only those names; an unnamed rule grants any name', () => {
		const named: V1PolicyRule = {apiGroups: [''], resources: ['pods'], resourceNames: ['a', 'b'], verbs: ['get']};
		assert.equal(ruleCovers(named, {...get('pods'), resourceNames: ['a']}), true);
		assert.equal(ruleCovers(named, {...get('pods'), resourceNames: ['a', 'b']}), true);
		assert.equal(ruleCovers(named, {...get('pods'), resourceNames: ['c']}), false);
		assert.equal(ruleCovers(named, get('pods')), false);
		assert.equal(ruleCovers({...named, resourceNames: []}, get('pods')), true);
		assert.equal(ruleCovers(get('pods'), {...get('pods'), resourceNames: ['anything']}), true);
	});

	test('nonResourceURLs: exact, or prefix when the owner ends in *', () => {
		const owner: V1PolicyRule = {nonResourceURLs: ['/healthz*', '/metrics'], verbs: ['get']};
		assert.equal(ruleCovers(owner, {nonResourceURLs: ['/metrics'], verbs: ['get']}), true);
		assert.equal(ruleCovers(owner, {nonResourceURLs: ['/healthz'], verbs: ['get']}), true);
		assert.equal(ruleCovers(owner, {nonResourceURLs: ['/healthz/ready'], verbs: ['get']}), true);
		assert.equal(ruleCovers(owner, {nonResourceURLs: ['/metrics/x'], verbs: ['get']}), false);
		assert.equal(ruleCovers(owner, {nonResourceURLs: ['/metrics'], verbs: ['post']}), false);
		assert.equal(ruleCovers({nonResourceURLs: ['*'], verbs: ['get']}, {nonResourceURLs: ['/anything'], verbs: ['get']}), true);
		// Resource rules and URL rules never grant each other.
		assert.equal(ruleCovers({apiGroups: ['*'], resources: ['*'], verbs: ['*']}, {nonResourceURLs: ['/healthz'], verbs: ['get']}), false);
		assert.equal(ruleCovers({nonResourceURLs: ['*'], verbs: ['*']}, get('pods')), false);
	});

	test('empty apiGroups: such an owner grants no resource; such a request asks for nothing', () => {
		assert.equal(ruleCovers({apiGroups: [], resources: ['pods'], verbs: ['get']}, get('pods')), false);
		assert.equal(ruleCovers({resources: ['pods'], verbs: ['get']}, get('pods')), false);
		assert.equal(ruleCovers({apiGroups: [''], resources: ['pods'], verbs: ['get']}, {apiGroups: [], resources: ['pods'], verbs: ['list']}), true);
	});

	test('rulesCover splits the request into atoms that different rules may cover', () => {
		const owners: V1PolicyRule[] = [
			{apiGroups: [''], resources: ['pods'], verbs: ['list']},
			{apiGroups: [''], resources: ['pods'], verbs: ['watch']},
		];
		assert.equal(owners.some(owner => ruleCovers(owner, podsListWatch)), false);
		assert.equal(rulesCover(owners, podsListWatch), true);
		assert.equal(rulesCover(owners, {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch', 'get']}), false);
		assert.equal(rulesCover([], {apiGroups: [], resources: [], verbs: ['get']}), true);
	});

	test('breakdownRule yields one atom per group, resource, verb and name', () => {
		assert.deepEqual(
			breakdownRule({apiGroups: ['', 'apps'], resources: ['pods'], resourceNames: ['a'], verbs: ['get', 'list']}),
			[
				{apiGroups: [''], resources: ['pods'], resourceNames: ['a'], verbs: ['get']},
				{apiGroups: [''], resources: ['pods'], resourceNames: ['a'], verbs: ['list']},
				{apiGroups: ['apps'], resources: ['pods'], resourceNames: ['a'], verbs: ['get']},
				{apiGroups: ['apps'], resources: ['pods'], resourceNames: ['a'], verbs: ['list']},
			],
		);
		assert.deepEqual(breakdownRule({nonResourceURLs: ['/a', '/b'], verbs: ['get']}), [
			{nonResourceURLs: ['/a'], verbs: ['get']},
			{nonResourceURLs: ['/b'], verbs: ['get']},
		]);
	});
});

describe('missingRules for the real manifests', () => {
	test('upstream thick v4.0.2 (get, update only) is missing pods list and watch', () => {
		assert.deepEqual(missingRules(upstreamThickV402, thickBlocking), [podsListWatch]);
		assert.deepEqual(missingRules(upstreamThickV402, thickAll), [podsListWatch]);
	});

	test('upstream thick v4.1 is missing nothing', () => {
		assert.deepEqual(missingRules(upstreamThickV41, thickAll), []);
	});

	test('RKE2 rke2-multus before and after the thick-plugin chart change', () => {
		assert.deepEqual(missingRules(rke2Before, thickBlocking), [podsListWatch]);
		// Events patch is only advisory, but it is missing too: the chart grants events create alone.
		assert.deepEqual(missingRules(rke2Before, thickAll), [
			{apiGroups: [''], resources: ['events'], verbs: ['patch']},
			podsListWatch,
		]);
		assert.deepEqual(missingRules(rke2After, thickBlocking), []);
		assert.deepEqual(missingRules(rke2After, thickAll), [{apiGroups: [''], resources: ['events'], verbs: ['patch']}]);
	});

	test('the OpenShift multus role covers everything the thick daemon needs', () => {
		assert.deepEqual(missingRules(openshift, thickAll), []);
	});

	test('verbs * on resources * covers everything', () => {
		assert.deepEqual(missingRules([{apiGroups: ['*'], resources: ['*'], verbs: ['*']}], thickAll), []);
		assert.deepEqual(missingRules([{apiGroups: [''], resources: ['*'], verbs: ['*']}], podsNeed), []);
	});

	test('pods granted only for some resourceNames is still missing', () => {
		const named: V1PolicyRule[] = [
			{apiGroups: [''], resources: ['pods'], resourceNames: ['kube-multus-ds'], verbs: ['get', 'list', 'watch']},
		];
		assert.deepEqual(missingRules(named, podsNeed), [podsListWatch]);
	});

	test('regrouping: same group and verbs merge resources, same resources and verbs merge groups, sorted', () => {
		const needed: V1PolicyRule[] = [
			{apiGroups: ['events.k8s.io', ''], resources: ['events'], verbs: ['patch', 'create']},
			{apiGroups: [''], resources: ['pods/status'], verbs: ['watch', 'list']},
			podsListWatch,
			{apiGroups: [''], resources: ['pods'], resourceNames: ['b'], verbs: ['get']},
			{apiGroups: [''], resources: ['pods'], resourceNames: ['a'], verbs: ['get']},
			{nonResourceURLs: ['/metrics', '/healthz'], verbs: ['get']},
		];
		assert.deepEqual(missingRules([], needed), [
			{apiGroups: [''], resources: ['pods'], resourceNames: ['a', 'b'], verbs: ['get']},
			{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['list', 'watch']},
			{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch']},
			{nonResourceURLs: ['/healthz', '/metrics'], verbs: ['get']},
		]);
	});

	test('a named request is dropped when the same unnamed request is missing too', () => {
		const needed: V1PolicyRule[] = [
			{apiGroups: [''], resources: ['pods'], resourceNames: ['a'], verbs: ['list']},
			podsListWatch,
		];
		assert.deepEqual(missingRules([], needed), [podsListWatch]);
	});
});

describe('extraRules', () => {
	test('what upstream v4.1 grants beyond the thick blocking need, kept and never removed', () => {
		assert.deepEqual(extraRules(upstreamThickV41, podsNeed), [
			{apiGroups: [''], resources: ['pods'], verbs: ['get', 'update']},
			{apiGroups: [''], resources: ['pods/status'], verbs: ['get', 'list', 'update', 'watch']},
			{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update']},
			nadsAll,
		]);
		assert.deepEqual(extraRules(podsNeed, podsNeed), []);
	});
});

describe('planRolePatch', () => {
	test('v4.0.2: a new minimal rule, never list/watch on pods/status', () => {
		const plan = planRolePatch(upstreamThickV402, podsNeed, '4242');
		assert.equal(plan.empty, false);
		assert.deepEqual(plan.missing, [podsListWatch]);
		assert.deepEqual(plan.additions, [{kind: 'append-rule', rule: podsListWatch}]);
		assert.deepEqual(plan.jsonPatch, [
			{op: 'test', path: '/metadata/resourceVersion', value: '4242'},
			{op: 'add', path: '/rules/-', value: podsListWatch},
		]);
		assert.deepEqual(plan.before, upstreamThickV402);
		assert.deepEqual(plan.after, [...upstreamThickV402, podsListWatch]);
	});

	test('appends verbs to a rule whose groups and resources are exactly the missing ones', () => {
		const rules: V1PolicyRule[] = [
			nadsAll,
			{apiGroups: [''], resources: ['pods'], verbs: ['get', 'update']},
			{apiGroups: [''], resources: ['pods/status'], verbs: ['update']},
		];
		const plan = planRolePatch(rules, podsNeed, '7');
		assert.deepEqual(plan.additions, [{kind: 'append-verbs', ruleIndex: 1, verbs: ['list', 'watch']}]);
		assert.deepEqual(plan.jsonPatch, [
			{op: 'test', path: '/metadata/resourceVersion', value: '7'},
			{op: 'test', path: '/rules/1', value: {apiGroups: [''], resources: ['pods'], verbs: ['get', 'update']}},
			{op: 'add', path: '/rules/1/verbs/-', value: 'list'},
			{op: 'add', path: '/rules/1/verbs/-', value: 'watch'},
		]);
		assert.deepEqual(plan.after[1], {apiGroups: [''], resources: ['pods'], verbs: ['get', 'update', 'list', 'watch']});
		assert.deepEqual(plan.after.length, rules.length);
	});

	test('only the verbs still missing are appended', () => {
		const plan = planRolePatch([{apiGroups: [''], resources: ['pods'], verbs: ['get', 'list']}], podsNeed);
		assert.deepEqual(plan.additions, [{kind: 'append-verbs', ruleIndex: 0, verbs: ['watch']}]);
		assert.deepEqual(plan.jsonPatch, [
			{op: 'test', path: '/rules/0', value: {apiGroups: [''], resources: ['pods'], verbs: ['get', 'list']}},
			{op: 'add', path: '/rules/0/verbs/-', value: 'watch'},
		]);
	});

	test('never appends verbs where they would grant more than the missing atoms', () => {
		const wider: V1PolicyRule[][] = [
			[{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get']}],
			[{apiGroups: ['', 'apps'], resources: ['pods'], verbs: ['get']}],
			[{apiGroups: [''], resources: ['pods'], resourceNames: ['multus'], verbs: ['get']}],
			[{apiGroups: [''], resources: ['pods'], nonResourceURLs: ['/healthz'], verbs: ['get']}],
		];
		for (const rules of wider) {
			const plan = planRolePatch(rules, podsNeed);
			assert.deepEqual(plan.additions, [{kind: 'append-rule', rule: podsListWatch}], describeRule(rules[0]!));
			assert.deepEqual(plan.after, [...rules, podsListWatch]);
		}
	});

	test('duplicates and set-equal lists still count as exact', () => {
		const rules: V1PolicyRule[] = [{apiGroups: ['', ''], resources: ['pods', 'pods'], verbs: ['get']}];
		assert.deepEqual(planRolePatch(rules, podsNeed).additions, [
			{kind: 'append-verbs', ruleIndex: 0, verbs: ['list', 'watch']},
		]);
	});

	test('a ClusterRole without rules gets the rules array added', () => {
		for (const rules of [null, undefined]) {
			const plan = planRolePatch(rules, podsNeed, '9');
			assert.deepEqual(plan.before, []);
			assert.deepEqual(plan.after, [podsListWatch]);
			assert.deepEqual(plan.jsonPatch, [
				{op: 'test', path: '/metadata/resourceVersion', value: '9'},
				{op: 'test', path: '/rules', value: null},
				{op: 'add', path: '/rules', value: [podsListWatch]},
			]);
		}
	});

	test('an empty rules array gets /rules/-', () => {
		const plan = planRolePatch([], podsNeed);
		assert.deepEqual(plan.jsonPatch, [{op: 'add', path: '/rules/-', value: podsListWatch}]);
	});

	test('a rule without verbs gets the verbs array added', () => {
		const rules = [{apiGroups: [''], resources: ['pods']}] as unknown as V1PolicyRule[];
		const plan = planRolePatch(rules, podsNeed);
		assert.deepEqual(plan.jsonPatch, [
			{op: 'test', path: '/rules/0', value: {apiGroups: [''], resources: ['pods']}},
			{op: 'add', path: '/rules/0/verbs', value: ['list', 'watch']},
		]);
		assert.deepEqual(plan.after, [{apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']}]);
	});

	test('nothing missing: an empty plan with no operations, even with a resourceVersion', () => {
		const plan = planRolePatch(upstreamThickV41, thickAll, '1');
		assert.equal(plan.empty, true);
		assert.deepEqual(plan.additions, []);
		assert.deepEqual(plan.jsonPatch, []);
		assert.deepEqual(plan.after, upstreamThickV41);
	});

	test('never removes or changes other grants, and is idempotent', () => {
		for (const rules of [upstreamThickV402, rke2Before, openshift, [nadsAll]]) {
			const plan = planRolePatch(rules, thickAll, '1');
			plan.before.forEach((rule, index) => {
				const addition = plan.additions.find(a => a.kind === 'append-verbs' && a.ruleIndex === index);
				if (addition?.kind === 'append-verbs') {
					assert.deepEqual(plan.after[index], {...rule, verbs: [...rule.verbs, ...addition.verbs]});
				} else {
					assert.equal(plan.after[index], rule);
				}
			});
			for (const rule of thickAll) assert.equal(rulesCover(plan.after, rule), true);
			assert.equal(planRolePatch(plan.after, thickAll).empty, true);
			assert.deepEqual(applyPlan(rules, plan), plan.after);
		}
	});

	test('the rules passed in are not mutated', () => {
		const rules = structuredClone(upstreamThickV402);
		planRolePatch(rules, thickAll);
		assert.deepEqual(rules, upstreamThickV402);
	});

	test('applyPlan refuses a plan that targets a rule that is not there', () => {
		assert.throws(() => applyPlan([], {additions: [{kind: 'append-verbs', ruleIndex: 3, verbs: ['list']}]}), RangeError);
	});
});

describe('describeRule', () => {
	test('one kubectl-ish line', () => {
		assert.equal(describeRule({apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch']}), 'pods [""]: get, list, watch');
		assert.equal(
			describeRule({apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch']}),
			'events ["", "events.k8s.io"]: create, patch',
		);
		assert.equal(
			describeRule({apiGroups: [''], resources: ['pods', 'pods/status'], resourceNames: ['a'], verbs: ['get']}),
			'pods, pods/status [""] named "a": get',
		);
		assert.equal(describeRule({nonResourceURLs: ['/healthz', '/metrics'], verbs: ['get']}), '/healthz, /metrics: get');
	});
});

describe('aggregationSources', () => {
	const role = (name: string, labels?: Record<string, string>): V1ClusterRole => ({metadata: {name, ...(labels ? {labels} : {})}});
	const aggregate: V1ClusterRole = {
		metadata: {name: 'multus', labels: {'rbac.example.com/aggregate-to-multus': 'true'}},
		aggregationRule: {
			clusterRoleSelectors: [
				{matchLabels: {'rbac.example.com/aggregate-to-multus': 'true'}},
				{
					matchExpressions: [
						{key: 'tier', operator: 'In', values: ['node', 'infra']},
						{key: 'deprecated', operator: 'DoesNotExist'},
						{key: 'team', operator: 'Exists'},
						{key: 'env', operator: 'NotIn', values: ['test']},
					],
				},
			],
		},
	};
	const all = [
		aggregate,
		role('z-by-label', {'rbac.example.com/aggregate-to-multus': 'true'}),
		role('wrong-value', {'rbac.example.com/aggregate-to-multus': 'false'}),
		role('a-by-expressions', {tier: 'node', team: 'net'}),
		role('env-prod', {tier: 'infra', team: 'net', env: 'prod'}),
		role('env-test', {tier: 'infra', team: 'net', env: 'test'}),
		role('deprecated', {tier: 'node', team: 'net', deprecated: 'yes'}),
		role('no-team', {tier: 'node'}),
		role('wrong-tier', {tier: 'edge', team: 'net'}),
		role('no-labels'),
	];

	test('roles matching any selector, the aggregate itself excluded, sorted by name', () => {
		assert.deepEqual(
			aggregationSources(aggregate, all).map(source => source.metadata?.name),
			['a-by-expressions', 'env-prod', 'z-by-label'],
		);
	});

	test('no aggregation rule, no sources; an empty selector selects every other role', () => {
		assert.deepEqual(aggregationSources(role('plain'), all), []);
		const everything: V1ClusterRole = {metadata: {name: 'everything'}, aggregationRule: {clusterRoleSelectors: [{}]}};
		assert.equal(aggregationSources(everything, [everything, ...all]).length, all.length);
	});

	test('an unknown operator selects nothing', () => {
		const odd: V1ClusterRole = {
			metadata: {name: 'odd'},
			aggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: 'tier', operator: 'Gt', values: ['1']}]}]},
		};
		assert.deepEqual(aggregationSources(odd, all), []);
	});
});
