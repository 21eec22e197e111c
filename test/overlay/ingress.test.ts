/** Ingress rule matching (Kubernetes' rules: exact host > wildcard > any host; longest path; Prefix by whole elements; Exact). */
import { describe, expect, it } from 'vitest';
import { ingressRuleFor, isIngressController, pathOf } from '../../src/overlay/ingress.js';
import type { IngressRule, PodInfo } from '../../src/overlay/cluster-metadata.js';

const rule = (name: string, host: string | null, path: string | null, pathType: string | null = 'Prefix'): IngressRule =>
  ({ namespace: 'default', name, host, path, pathType, service: name, port: 80 });

describe('ingressRuleFor', () => {
  const rules = [
    rule('any-root', null, '/'),
    rule('foo-root', 'foo.example', '/'),
    rule('foo-api', 'foo.example', '/api'),
    rule('foo-exact', 'foo.example', '/api/v1', 'Exact'),
    rule('wild', '*.example', '/'),
  ];
  const pick = (host: string | null, uri: string) => ingressRuleFor(rules, host, uri)?.name ?? null;

  it('prefers an exact host, then a wildcard of one label, then a rule without host', () => {
    expect(pick('foo.example', '/x')).toBe('foo-root');
    expect(pick('FOO.example:8080', '/x')).toBe('foo-root');
    expect(pick('bar.example', '/x')).toBe('wild');
    expect(pick('a.bar.example', '/x')).toBe('any-root');
    expect(pick(null, '/x')).toBe('any-root');
  });

  it('takes the longest path; Prefix matches whole path elements; Exact only itself', () => {
    expect(pick('foo.example', '/api')).toBe('foo-api');
    expect(pick('foo.example', '/api/')).toBe('foo-api');
    expect(pick('foo.example', '/api/users?x=1')).toBe('foo-api');
    expect(pick('foo.example', '/apis')).toBe('foo-root');
    expect(pick('foo.example', '/api/v1')).toBe('foo-exact');
    expect(pick('foo.example', '/api/v1/x')).toBe('foo-api');
    expect(pick('foo.example', 'http://foo.example/api/x')).toBe('foo-api');
  });

  it('finds nothing when no rule fits', () => {
    expect(ingressRuleFor([rule('only', 'foo.example', '/api')], 'foo.example', '/web')).toBeNull();
    expect(ingressRuleFor([], 'foo.example', '/')).toBeNull();
  });

  it('reads request targets as paths', () => {
    expect(pathOf('/a/b?c#d')).toBe('/a/b');
    expect(pathOf('http://h:8080/a')).toBe('/a');
    expect(pathOf('http://h')).toBe('/');
    expect(pathOf(null)).toBe('/');
  });
});

describe('isIngressController', () => {
  const pod = (name: string, labels: Record<string, string>): PodInfo =>
    ({ namespace: 'x', name, node: null, ips: [], labels, owner: null, hostNetwork: false, startMs: null, endMs: null });
  it('knows controllers by their chart labels or names, and not a plain proxy', () => {
    expect(isIngressController(pod('ingress-nginx-controller-abc', {}))).toBe(true);
    expect(isIngressController(pod('edge-7f9', { 'app.kubernetes.io/name': 'traefik' }))).toBe(true);
    expect(isIngressController(pod('nginx-proxy-7c5d9b8f4-tq6wn', { app: 'nginx-proxy' }))).toBe(false);
    expect(isIngressController(pod('web-1', { app: 'web', team: 'ingress-team' }))).toBe(false);
  });
});
