import type {V1ClusterRole, V1PolicyRule} from '@kubernetes/client-node';
import fc from 'fast-check';
import {blockingRules, requiredRules} from '../../source/multus/requirements.js';

/*
 * fast-check generators for RBAC rules and roles. Small pools on purpose, so generated rules overlap, repeat
 * and hit the wildcards often. `valid: true` keeps to what the apiserver accepts (for tests that create the
 * roles in a real cluster and compare with SubjectAccessReview); the default also produces edge cases the
 * apiserver would reject, such as empty apiGroups or a rule with both resources and URLs.
 */

export interface RuleOptions {
	/** Only rules the apiserver's ClusterRole validation accepts. */
	valid?: boolean;
}

export const concreteGroups = ['', 'apps', 'k8s.cni.cncf.io', 'events.k8s.io'] as const;
export const concreteResources = [
	'pods',
	'pods/status',
	'pods/log',
	'events',
	'deployments',
	'network-attachment-definitions',
] as const;
export const concreteVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const;
export const resourceNamePool = ['multus', 'kube-multus-ds', 'a'] as const;
export const concreteUrls = ['/healthz', '/healthz/ready', '/metrics', '/api', '/api/v1', '/logs'] as const;

export const apiGroupArb = fc.constantFrom<string>(...concreteGroups, '*');
export const resourceArb = fc.constantFrom<string>(...concreteResources, '*', '*/status');
export const verbArb = fc.constantFrom<string>(...concreteVerbs, '*');
export const resourceNameArb = fc.constantFrom<string>(...resourceNamePool);
export const nonResourceUrlArb = fc.constantFrom<string>(...concreteUrls, '/healthz*', '/api/*', '*');

const some = (arb: fc.Arbitrary<string>, minLength: number) => fc.array(arb, {minLength, maxLength: 3});

/** A rule on API resources, possibly with resourceNames. */
export function resourceRuleArb(options: RuleOptions = {}): fc.Arbitrary<V1PolicyRule> {
	const min = options.valid ? 1 : 0;
	return fc
		.record({
			apiGroups: some(apiGroupArb, min),
			resources: some(resourceArb, min),
			verbs: some(verbArb, 1),
			resourceNames: fc.option(some(resourceNameArb, 1), {nil: undefined, freq: 3}),
		})
		.map(({resourceNames, ...rule}): V1PolicyRule => (resourceNames ? {...rule, resourceNames} : rule));
}

/** A rule on non-resource URLs (`*` only as the final character, as the apiserver requires). */
export function nonResourceRuleArb(): fc.Arbitrary<V1PolicyRule> {
	return fc
		.record({nonResourceURLs: some(nonResourceUrlArb, 1), verbs: some(verbArb, 1)})
		.map((rule): V1PolicyRule => ({...rule}));
}

/** Invalid for the apiserver, but a shape our functions must still handle. */
function mixedRuleArb(): fc.Arbitrary<V1PolicyRule> {
	return fc
		.tuple(resourceRuleArb(), nonResourceRuleArb())
		.map(([resource, url]): V1PolicyRule => ({...resource, nonResourceURLs: url.nonResourceURLs ?? []}));
}

export function policyRuleArb(options: RuleOptions = {}): fc.Arbitrary<V1PolicyRule> {
	return options.valid
		? fc.oneof({arbitrary: resourceRuleArb(options), weight: 4}, {arbitrary: nonResourceRuleArb(), weight: 1})
		: fc.oneof(
				{arbitrary: resourceRuleArb(options), weight: 6},
				{arbitrary: nonResourceRuleArb(), weight: 2},
				{arbitrary: mixedRuleArb(), weight: 1},
			);
}

/** Several rules, sometimes with an exact duplicate of one of them appended. */
export function policyRulesArb(options: RuleOptions = {}): fc.Arbitrary<V1PolicyRule[]> {
	return fc
		.tuple(fc.array(policyRuleArb(options), {maxLength: 6}), fc.option(fc.nat(), {nil: undefined}))
		.map(([rules, duplicate]) => {
			const copied = duplicate === undefined ? undefined : rules[duplicate % Math.max(rules.length, 1)];
			return copied ? [...rules, structuredClone(copied)] : rules;
		});
}

/** A ClusterRole with a name, a resourceVersion and rules (occasionally none at all). */
export function clusterRoleArb(options: RuleOptions = {}): fc.Arbitrary<V1ClusterRole> {
	return fc
		.record({
			name: fc.constantFrom('multus', 'rke2-multus', 'multus-extra'),
			resourceVersion: fc.integer({min: 1, max: 999_999}).map(String),
			rules: fc.option(policyRulesArb(options), {nil: undefined, freq: 8}),
		})
		.map(({name, resourceVersion, rules}): V1ClusterRole => ({
			apiVersion: 'rbac.authorization.k8s.io/v1',
			kind: 'ClusterRole',
			metadata: {name, resourceVersion},
			...(rules ? {rules} : {}),
		}));
}

/** What a caller may ask a role to cover: Multus' real needs, or arbitrary small rule sets. */
export function neededRulesArb(): fc.Arbitrary<V1PolicyRule[]> {
	return fc.oneof(
		fc.constant('thick' as const).map(mode => blockingRules(mode)),
		fc
			.constantFrom('thick' as const, 'thin' as const)
			.map(mode => requiredRules(mode).map(requirement => requirement.rule)),
		fc.array(
			fc.oneof({arbitrary: resourceRuleArb({valid: true}), weight: 4}, {arbitrary: nonResourceRuleArb(), weight: 1}),
			{minLength: 1, maxLength: 3},
		),
	);
}

/** One concrete request (no wildcards), as a SubjectAccessReview would ask it. */
export function requestAtomArb(): fc.Arbitrary<V1PolicyRule> {
	return fc.oneof(
		fc
			.record({
				group: fc.constantFrom<string>(...concreteGroups),
				resource: fc.constantFrom<string>(...concreteResources),
				verb: fc.constantFrom<string>(...concreteVerbs),
				name: fc.option(resourceNameArb, {nil: undefined}),
			})
			.map(({group, resource, verb, name}): V1PolicyRule =>
				name === undefined
					? {apiGroups: [group], resources: [resource], verbs: [verb]}
					: {apiGroups: [group], resources: [resource], resourceNames: [name], verbs: [verb]},
			),
		fc
			.record({url: fc.constantFrom<string>(...concreteUrls), verb: fc.constantFrom<string>(...concreteVerbs)})
			.map(({url, verb}): V1PolicyRule => ({nonResourceURLs: [url], verbs: [verb]})),
	);
}

/**
 * A role and a need built so that one rule could take the missing verbs: the need asks for new verbs on exactly
 * that rule's groups and resources. Random roles rarely line up like this.
 */
export function extendableCaseArb(): fc.Arbitrary<{role: V1ClusterRole; needed: V1PolicyRule[]}> {
	return fc
		.record({
			role: clusterRoleArb(),
			target: fc.record({
				apiGroups: some(fc.constantFrom<string>(...concreteGroups), 1),
				resources: some(fc.constantFrom<string>(...concreteResources), 1),
				verbs: fc.subarray([...concreteVerbs], {minLength: 2}),
			}),
			position: fc.nat(),
			split: fc.nat(),
		})
		.map(({role, target, position, split}) => {
			const cut = 1 + (split % (target.verbs.length - 1));
			const existing: V1PolicyRule = {
				apiGroups: target.apiGroups,
				resources: target.resources,
				verbs: target.verbs.slice(0, cut),
			};
			const rules = [...(role.rules ?? [])];
			rules.splice(position % (rules.length + 1), 0, existing);
			const needed: V1PolicyRule = {
				apiGroups: [...new Set(target.apiGroups)],
				resources: [...new Set(target.resources)],
				verbs: target.verbs.slice(cut),
			};
			return {role: {...role, rules}, needed: [needed]};
		});
}

/** Either a random role and need, or one set up for appending verbs. */
export function roleAndNeedArb(): fc.Arbitrary<{role: V1ClusterRole; needed: V1PolicyRule[]}> {
	return fc.oneof(fc.record({role: clusterRoleArb(), needed: neededRulesArb()}), extendableCaseArb());
}
