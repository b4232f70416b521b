"""Real-time classification: POST /classify logic, the model endpoint interface and its SageMaker adapter."""
