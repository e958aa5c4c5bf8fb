import { expect } from 'vitest';
import { ServiceAccountTokenError, type ServiceAccountVerifier } from '../../../registry/token-service/service-account.ts';

/** The error a verifier refuses `token` with; fails the test when the token is accepted. */
export async function rejection(verifier: ServiceAccountVerifier, token: string): Promise<ServiceAccountTokenError> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the token was accepted').toBeInstanceOf(ServiceAccountTokenError);
  return error as ServiceAccountTokenError;
}
