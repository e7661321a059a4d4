"""The service assistant (智能客服): intent recognition, answers with the customer's own figures,
the knowledge base, hand-off to the service desk."""
