"""callcenter: a customer's call-center sites, their hours and capacity, and the distributions
that spread toll-free calls over them (issue 12). See README.md."""
