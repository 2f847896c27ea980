import { println, type OutputStream } from './io.ts';

/** A new key or secret, set apart on its own line with the warning that it is not shown again. */
export function printOnce(stream: OutputStream, heading: string, secret: string, what: string): void {
  println(stream, heading);
  println(stream);
  println(stream, `    ${secret}`);
  println(stream);
  println(stream, `This is the only time the ${what} is shown: store it now.`);
}
