"""Model deployment: JumpStart resolution, model artifact staging and the CloudFormation custom resource."""
