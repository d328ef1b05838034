"""Self-assessment filings (自主评价备案): programmes, scope lines, the filing rules, regulator decisions."""
