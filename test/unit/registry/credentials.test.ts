import { describe, expect, it } from 'vitest';
import { CredentialStore } from '../../../registry/token-service/credentials.ts';

describe('minted credentials', () => {
  it('finds a session by secret and username until it expires', async () => {
    const store = new CredentialStore<string>('ppx_');
    const short = store.mint('user-a', 0.05, 'role-a');
    const long = store.mint('user-b', 60, 'role-b');
    expect(short.secret).toMatch(/^ppx_[A-Za-z0-9_-]{43}$/);
    expect(store.lookup(long.secret, 'user-b')?.value).toBe('role-b');
    expect(store.lookup(long.secret, 'user-a')).toBeUndefined();
    expect(store.lookup(`${long.secret}x`, 'user-b')).toBeUndefined();
    expect(store.lookup('ppr_whatever')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(store.lookup(short.secret, 'user-a')).toBeUndefined();
  });

  it('evicts the oldest session beyond its capacity', () => {
    const store = new CredentialStore<number>('ppr_', 2);
    const first = store.mint('a', 60, 1);
    store.mint('b', 60, 2);
    store.mint('c', 60, 3);
    expect(store.lookup(first.secret)).toBeUndefined();
  });
});
