import { describe, expect, it } from 'vitest';
import { clientErrorResponse, LIMITS } from '../../../registry/token-service/server.ts';

/** Status line, headers and JSON body of a raw response. */
function parse(response: string | undefined): { statusLine: string; headers: string[]; body: { error: string; detail: string } } {
  if (response === undefined) throw new Error('expected a response, got "just close"');
  const [head = '', body = ''] = response.split('\r\n\r\n');
  const [statusLine = '', ...headers] = head.split('\r\n');
  expect(Buffer.byteLength(body)).toBe(Number(/^Content-Length: (\d+)$/m.exec(head)?.[1]));
  return { statusLine, headers, body: JSON.parse(body) as { error: string; detail: string } };
}

describe("the token service's answer when node:http gives up on a connection (clientError)", () => {
  it('answers a request timeout with 408, as node:http does, not with "malformed request"', () => {
    // Node raises ERR_HTTP_REQUEST_TIMEOUT also for a keep-alive client's idle connection that sent
    // nothing within headersTimeout: seen in `make bench` soaks as 400s on connections never used.
    const { statusLine, headers, body } = parse(clientErrorResponse('ERR_HTTP_REQUEST_TIMEOUT'));
    expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(headers).toContain('Connection: close');
    expect(body.error).toBe('request_timeout');
    expect(body.detail).toBe(`no complete request within ${LIMITS.headersTimeoutMs / 1000} s (headers) / ${LIMITS.requestTimeoutMs / 1000} s (whole request)`);
  });

  it('names the header limit for oversized headers', () => {
    const { statusLine, body } = parse(clientErrorResponse('HPE_HEADER_OVERFLOW'));
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(body).toEqual({ error: 'invalid_request', detail: `request headers exceed ${LIMITS.maxHeaderBytes} bytes` });
  });

  it.each([['HPE_INVALID_METHOD'], [undefined]])('calls anything else (%s) a malformed request', (code) => {
    const { statusLine, headers, body } = parse(clientErrorResponse(code));
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(headers).toEqual(['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(JSON.stringify(body))}`, 'Connection: close']);
    expect(body).toEqual({ error: 'invalid_request', detail: 'malformed HTTP request' });
  });

  it('answers nobody when the peer reset the connection', () => {
    expect(clientErrorResponse('ECONNRESET')).toBeUndefined();
  });
});
