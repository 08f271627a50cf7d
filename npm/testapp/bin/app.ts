// A TypeScript CDK app as a team writes one, for make test-npm: two Go functions built for
// provided.al2023 on arm64, one packaged right (bootstrap at the asset's root) and one with the
// field report's mistake (bootstrap under hello/, so Lambda cannot find it).
import * as path from "path";
import * as cdk from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";

const app = new cdk.App();
const stack = new cdk.Stack(app, "Service");
for (const [id, dir] of [["Hello", "hello"], ["Nested", "nested"]]) {
  new lambda.Function(stack, id, {
    runtime: lambda.Runtime.PROVIDED_AL2023,
    architecture: lambda.Architecture.ARM_64,
    handler: "bootstrap",
    code: lambda.Code.fromAsset(path.join("assets", dir)), // relative to the app directory, as cdk.json apps run
  });
}
app.synth();
