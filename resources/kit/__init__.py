"""What every resource shares: manifest types, assertion verification, db, migrations, errors."""
