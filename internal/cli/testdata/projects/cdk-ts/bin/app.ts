// A TypeScript CDK app with Go functions on provided.al2023, packaged the ways teams do: a folder
// whose build put bootstrap under bin/ (the field report's trap), a folder with bootstrap at its
// root, and a zip built with zip -j.
import { App, Stack } from 'aws-cdk-lib';
import { Architecture, Code, Function, Runtime } from 'aws-cdk-lib/aws-lambda';

const app = new App();
const stack = new Stack(app, 'GoFunctions');
const props = { runtime: Runtime.PROVIDED_AL2023, architecture: Architecture.ARM_64, handler: 'bootstrap' };
new Function(stack, 'GoBad', { ...props, code: Code.fromAsset('lambda/gobad') });
new Function(stack, 'GoGood', { ...props, code: Code.fromAsset('lambda/gogood') });
new Function(stack, 'GoZip', { ...props, code: Code.fromAsset('dist/gozip.zip') });
app.synth();
